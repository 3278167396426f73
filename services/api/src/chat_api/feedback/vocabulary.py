"""What a vote may say: its rating, and the reasons the UI offers for each (a short fixed list)."""

from typing import Final, Literal, get_args

Rating = Literal["up", "down"]
UpReason = Literal["accurate", "helpful", "well_written", "other"]
DownReason = Literal["inaccurate", "unhelpful", "incomplete", "ignored_instructions", "harmful", "other"]
Reason = UpReason | DownReason
RATINGS: Final = get_args(Rating)
REASONS_FOR: Final[dict[str, tuple[str, ...]]] = {"up": get_args(UpReason), "down": get_args(DownReason)}
COMMENT_MAX: Final = 1000
