"""The conversation routes' bodies."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chat_api.chat.events import SavedUsage
from chat_api.chat.parts import Part
from chat_api.chat.schemas import Options
from chat_api.feedback.vocabulary import Rating, Reason
from chat_api.storage.models import MessageStatus

# Strict models take a JSON string for a UUID only when told (strict mode wants a UUID object).
JsonUuid = Annotated[uuid.UUID, Field(strict=False)]

# What a database text column can hold: no NUL, and no lone surrogate (JSON can escape one; UTF-8 cannot).
NO_NUL_OR_SURROGATE = "^[^\\u0000\\ud800-\\udfff]*$"


def storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise ValueError("must be valid Unicode text (no lone surrogates)")
    return text


StoredText = Annotated[str, AfterValidator(storable), Field(json_schema_extra={"pattern": NO_NUL_OR_SURROGATE})]
TITLE_MAX = 200
ATTACHMENTS_MAX = 10
MCP_SERVERS_OFF_MAX = 50
ServerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


ModelId = Annotated[str, Field(min_length=1, max_length=100, description="An id of `GET /api/models`.")]


class NewConversation(Strict):
    title: StoredText | None = Field(None, max_length=TITLE_MAX, description="Unset: taken from the first message.")
    model: ModelId | None = Field(
        None, description="The model its answers come from (an id of `GET /api/models`); unset: the default."
    )


class ConversationChange(Strict):
    """What to change (a field left out or null stays as it is)."""

    title: StoredText | None = Field(None, min_length=1, max_length=TITLE_MAX)
    tools_enabled: bool | None = Field(None, description="Let this conversation's answers call tools.")
    model: ModelId | None = Field(
        None, description="Answer with this model from the next answer on (one being written keeps its own)."
    )
    mcp_servers_off: list[ServerName] | None = Field(
        None,
        max_length=MCP_SERVERS_OFF_MAX,
        description="The MCP servers (by name, as `GET /api/tools` lists them) whose tools this conversation's "
        "answers may not call; the whole list (empty: none switched off).",
    )


class BranchChoice(Strict):
    message_id: JsonUuid = Field(description="Show the branch through this message (and its newest answers).")


class NewMessage(Strict):
    content: StoredText = Field(min_length=1, description="What the user says.")
    parent_id: JsonUuid | None = Field(
        None,
        description="Leave out to continue the branch shown. To edit a message, the parent of the message edited "
        "(null to edit the first): the new message becomes its sibling, and nothing is deleted.",
    )
    options: Options = Field(default_factory=Options)
    model: ModelId | None = Field(
        None,
        description="Answer with this model, now and from here on (it becomes the "
        "conversation's). Unset: the conversation's.",
    )
    attachments: list[JsonUuid] = Field(
        default_factory=list,
        max_length=ATTACHMENTS_MAX,
        description="Ids of this conversation's files sent with the message. Images go to the model with it (and "
        "again in later turns); it finds the text of the others with `search_documents`. An image while the "
        "model takes none (`vision: false` in `GET /api/models`): 400 `vision_unsupported`.",
    )


class Retry(Strict):
    options: Options = Field(default_factory=Options)
    model: ModelId | None = Field(
        None,
        description="Answer with this model, now and from here on (it becomes the "
        "conversation's). Unset: the conversation's.",
    )


class ConversationView(BaseModel):
    id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    tools_enabled: bool = Field(description="Its answers may call tools (the user's switch for this conversation).")
    model: str | None = Field(
        None, description="The model the user picked for it (an id of `GET /api/models`); null: the default."
    )
    mcp_servers_off: list[str] = Field(
        default_factory=list, description="MCP servers the user switched off for this conversation."
    )


class ConversationPage(BaseModel):
    items: list[ConversationView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end.")


class MessageError(BaseModel):
    code: str
    message: str


class FeedbackView(BaseModel):
    rating: Rating
    reason: Reason | None
    comment: str | None
    updated_at: datetime


class AttachmentView(BaseModel):
    id: uuid.UUID = Field(description="The file's id (`GET /api/conversations/{id}/files/{file_id}/content`).")
    name: str
    media_type: str


class MessageView(BaseModel):
    id: uuid.UUID
    parent_id: uuid.UUID | None
    role: Literal["user", "assistant"]
    content: str = Field(description="The message's text (an answer's text parts, joined).")
    parts: list[Part] | None = Field(
        None, description="An answer that called tools: its text, calls and their results, in order. Null: `content`."
    )
    attachments: list[AttachmentView] | None = Field(
        None, description="A user message's files, as sent with it (one deleted since is still named). Null: none."
    )
    status: MessageStatus
    finish_reason: str | None
    error: MessageError | None
    model: str | None
    usage: SavedUsage | None
    created_at: datetime
    updated_at: datetime
    sibling_ids: list[uuid.UUID] = Field(description="This message and its siblings (retries, edits), oldest first.")
    feedback: FeedbackView | None = Field(description="Your vote on this answer; null when none (or a question).")


class MessagePage(BaseModel):
    items: list[MessageView] = Field(description="Messages of the branch shown, oldest first.")
    earlier: uuid.UUID | None = Field(
        description="Pass as `before` for the messages before these; null when these are the first."
    )


class SummaryView(BaseModel):
    covers_message_id: uuid.UUID = Field(description="The model sees this summary instead of the branch up to here.")
    covered_messages: int
    content: str
    created_at: datetime


class ConversationDetail(ConversationView):
    messages: MessagePage = Field(description="The last messages of the branch shown.")
    summary: SummaryView | None = Field(
        None, description="What the model is told of the branch's older turns, once they no longer fit its window."
    )


class ImportedMessage(Strict):
    role: Literal["user", "assistant"]
    content: StoredText = Field(max_length=200_000)
    status: Annotated[MessageStatus, Field(strict=False)] = MessageStatus.DONE  # strict takes no enum from JSON


class ImportedConversation(Strict):
    title: StoredText = Field(min_length=1, max_length=TITLE_MAX)
    messages: list[ImportedMessage] = Field(max_length=2_000)


class Import(Strict):
    conversations: list[ImportedConversation] = Field(max_length=500)


class Imported(BaseModel):
    conversations: list[ConversationView]
