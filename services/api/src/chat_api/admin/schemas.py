"""What the admin view's routes answer: totals per user, day or model, the user list, the audit log, the votes on
answers. Never conversation content, but the voted question and answer when ADMIN_SEES_FEEDBACK_CONTENT allows."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from chat_api.feedback.vocabulary import Rating

Grouping = Literal["user", "day", "model"]


class UsageTotals(BaseModel):
    input_tokens: int = Field(description="Prompt tokens, as the model counted them (or as estimated when it did not).")
    output_tokens: int = Field(description="Answer tokens, reasoning included.")
    reasoning_tokens: int = Field(description="Of the output tokens, those a reasoning model spent reasoning.")
    answers: int = Field(description="Answers ended (done, stopped or failed).")
    refusals: int = Field(description="Sends the user's limits refused (429).")
    tool_calls: int = Field(description="Tools the model called.")


class UsageRow(UsageTotals):
    day: date | None = Field(description="The day (UTC), when grouped by day.")
    user_id: uuid.UUID | None = Field(description="The user, when grouped by user.")
    user: str | None = Field(description="The user's email or name when grouped by user; null for a guest.")
    model: str | None = Field(description="The model (deployment), when grouped by model.")


class UsageReport(BaseModel):
    group: Grouping
    from_day: date = Field(serialization_alias="from", description="The first day counted (UTC).")
    to_day: date = Field(serialization_alias="to", description="The last day counted (UTC).")
    rows: list[UsageRow] = Field(description="By day: the newest first; by user or model: the most tokens first.")
    totals: UsageTotals = Field(description="Every row that matched the filters, the rows left out included.")
    truncated: bool = Field(description="More rows matched than `limit`: narrow the filters, or export the CSV.")


class AdminUser(BaseModel):
    id: uuid.UUID
    email: str | None = Field(description="A password account's address; null for a guest.")
    display_name: str | None = Field(description="What the organisation's provider calls the user.")
    guest: bool
    sso: bool = Field(
        description="Signs in with the organisation's provider (else with a password, or a guest): two accounts"
        " may show the same address, a password account's and a provider's."
    )
    tier: str = Field(description="The user's tier (the default one when none was given).")
    admin: bool = Field(description="The tier is an admin tier.")
    created_at: datetime
    last_seen_at: datetime | None = Field(
        description="When a session of the user was last opened or refreshed (to the minute)."
    )
    disabled: bool
    disabled_at: datetime | None


class AdminUserPage(BaseModel):
    items: list[AdminUser] = Field(description="The newest accounts first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")


class AuditEntry(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None = Field(description="The operator; null for the command line (set_tier).")
    actor: str | None = Field(description="The operator's email or name at the time.")
    action: str = Field(description="user.disable, user.enable, usage.export, feedback.export or tier.give.")
    target_id: uuid.UUID | None
    target: str | None = Field(description="The user acted on, by email or name at the time.")
    detail: str | None = Field(description="What else the action said (the filters of an export, a tier).")


class AuditPage(BaseModel):
    items: list[AuditEntry] = Field(description="The newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")


class FeedbackEntry(BaseModel):
    id: uuid.UUID
    at: datetime = Field(description="When the vote was given, or last changed.")
    rating: Rating
    reason: str | None = Field(description="Why, from the short list the UI offers.")
    comment: str | None = Field(description="In the user's words.")
    model: str = Field(description="The model (deployment) that wrote the answer.")
    user_id: uuid.UUID
    email: str | None = Field(description="The voter's address (a password account); null otherwise.")
    display_name: str | None = Field(description="What the organisation's provider calls the voter.")
    conversation_id: uuid.UUID
    message_id: uuid.UUID = Field(description="The answer voted on.")
    question: str | None = Field(description="The question answered; null unless `content_visible`.")
    answer: str | None = Field(description="The answer voted on; null unless `content_visible`.")


class FeedbackPage(BaseModel):
    items: list[FeedbackEntry] = Field(description="The most recently given or changed first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")
    content_visible: bool = Field(
        description="The operators may see questions and answers (ADMIN_SEES_FEEDBACK_CONTENT); off: always null."
    )
