"""Reciprocal rank fusion (Cormack et al., 2009): each ranking gives an item 1 / (k + its rank); the sums order
the fused list. Neither ranking's scores need to be comparable, only their orders."""

from collections.abc import Hashable, Sequence
from typing import Final, TypeVar

RRF_K: Final = 60

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[T]], k: int = RRF_K) -> list[T]:
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # (ties keep the order they were first met in: the first ranking's)
    return sorted(scores, key=lambda item: -scores[item])
