"""Keeps the garbage collector's full passes short by leaving out what start-up built.

A full collection walks every object the process holds: with Semantic Kernel, the SDKs and the app loaded,
that is a quarter of a million objects and a pause of about 150 ms on one core, during which no stream on that
worker moves (see bench/gc_pause.py). What exists once the server has started lives as long as the process, so
it is moved out of the collector's sight (`gc.freeze`) once: in gunicorn's master before it forks the workers
(the pages stay shared, as the collector no longer writes to them), and in each worker once its lifespan
has opened the services.
"""

import gc


def freeze_startup_objects() -> None:
    gc.collect()
    gc.freeze()
