"""What a vote may say: its rating, and the reasons the UI offers for each (a short fixed list)."""

from typing import Final, Literal, get_args

Rating = Literal["up", "down"]
Reason = Literal[
    # up
    "accurate",
    "helpful",
    "well_written",
    # down
    "inaccurate",
    "unhelpful",
    "incomplete",
    "ignored_instructions",
    "harmful",
    # either
    "other",
]
RATINGS: Final = get_args(Rating)
REASONS_FOR: Final[dict[str, tuple[str, ...]]] = {
    "up": ("accurate", "helpful", "well_written", "other"),
    "down": ("inaccurate", "unhelpful", "incomplete", "ignored_instructions", "harmful", "other"),
}
COMMENT_MAX: Final = 1000
