"""The feedback routes' bodies."""

from typing import Any, Self

from pydantic import ConfigDict, Field, model_validator

from chat_api.conversations.schemas import StoredText, Strict
from chat_api.feedback.vocabulary import COMMENT_MAX, REASONS_FOR, Rating, Reason


def _reasons_per_rating(schema: dict[str, Any]) -> None:
    """OpenAPI says which reasons go with which rating (the check below), so clients and fuzzers know."""
    schema["oneOf"] = [
        {"properties": {"rating": {"const": rating}, "reason": {"anyOf": [{"enum": list(reasons)}, {"type": "null"}]}}}
        for rating, reasons in REASONS_FOR.items()
    ]


class Vote(Strict):
    model_config = ConfigDict(json_schema_extra=_reasons_per_rating)

    rating: Rating
    reason: Reason | None = Field(
        None,
        description="Why, from a short list: for `up` accurate, helpful, well_written or other; for `down` "
        "inaccurate, unhelpful, incomplete, ignored_instructions, harmful or other.",
    )
    comment: StoredText | None = Field(None, max_length=COMMENT_MAX, description="In the user's words; blank: none.")

    @model_validator(mode="after")
    def _reason_fits_the_rating(self) -> Self:
        if self.reason is not None and self.reason not in REASONS_FOR[self.rating]:
            allowed = ", ".join(REASONS_FOR[self.rating])
            raise ValueError(f"reason: {self.reason!r} is not a reason for a thumbs {self.rating} (one of: {allowed})")
        if self.comment is not None and not self.comment.strip():
            self.comment = None
        return self
