"""A TCP proxy on loopback, in a thread of its own, that notes when bytes pass in each direction: put between the
api and its model, it shows when a model's reply ended and when the api's next request left, to the
microsecond, without touching either. Each request is told by its request line (`POST /path`): HTTP/1.1 as the
api's client speaks it, one request at a time per connection."""

import asyncio
import threading
import time
from dataclasses import dataclass, field

from harness.processes import HOST, free_port


@dataclass(frozen=True)
class Passed:
    at: float  # time.perf_counter()
    upstream: bool  # True: from the api to the model; False: the model's answer
    path: str | None  # a request's path, on the first bytes of a request


@dataclass
class RecordingProxy:
    target_port: int = 0  # the model's; set before the first connection
    port: int = field(default_factory=free_port)
    passed: list[Passed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def take(self) -> list[Passed]:
        """What passed since the last `take`."""
        with self._lock:
            taken, self.passed = self.passed, []
        return taken

    def _note(self, upstream: bool, data: bytes) -> None:
        path = None
        if upstream and data.startswith(b"POST "):
            path = data.split(b" ", 2)[1].decode()
        with self._lock:
            self.passed.append(Passed(time.perf_counter(), upstream, path))

    def _run(self, ready: threading.Event) -> None:
        async def serve() -> None:
            server = await asyncio.start_server(self._connection, HOST, self.port)
            ready.set()
            async with server:
                await server.serve_forever()

        asyncio.run(serve())

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.target_port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, upstream: bool) -> None:
            try:
                while data := await source.read(65536):
                    self._note(upstream, data)
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(client_reader, writer, True), pipe(reader, client_writer, False))
