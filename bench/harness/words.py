"""Made-up text that behaves like real text for the benchmarks: English's commonest words first, then made-up
ones, each drawn with Zipf's weights (rank r weighs 1 / r)."""

import random

COMMON = (  # noqa: SIM905 - a paragraph, read as one
    "the of and to a in is it you that he was for on are with as I his they be at one have this from or had by "
    "not word but what some we can out other were all there when up use your how said an each she which do "
    "their time if will way about many then them write would like so these her long make thing see him two has "
    "look more day could go come did number sound no most people my over know water than call first who may "
    "down side been now find any new work part take get place made live where after back little only round man "
    "year came show every good me give our under name very through just form sentence great think say help low "
    "line differ turn cause much mean before move right boy old too same tell does set three want air well also "
    "play small end put home read hand port large spell add even land here must big high such follow act why "
    "ask men change went light kind off need house picture try us again animal point mother world near build "
    "self earth father head stand own page should country found answer school grow study still learn plant "
    "cover food sun four between state keep eye never last let thought city tree cross farm hard start might "
    "story saw far sea draw left late run while press close night real life few north open seem together next"
).split()


def vocabulary(
    rng: random.Random, size: int = 30_000, lengths: tuple[int, int] = (4, 10), common: list[str] = COMMON
) -> list[str]:
    """`common`, then made-up words of `lengths` letters, `size` words in all, in the order of their ranks."""
    made_up: set[str] = set()
    while len(made_up) < size - len(common):
        made_up.add("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(*lengths))))
    return [*common, *sorted(made_up)]
