"""The database's tables, in one place. Alembic's migrations (`migrations/`) are the only way the schema changes;
a test checks that these models and the migrations agree."""

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

MESSAGE_ROLES: Final = ("user", "assistant")
FEEDBACK_RATINGS: Final = ("up", "down")
MEMORY_MAX_CHARS: Final = 500
JSON_DOCUMENT: Final = JSON().with_variant(JSONB(), "postgresql")


class MessageStatus(StrEnum):
    STREAMING = "streaming"  # its owner is writing it (see `lease_expires_at`)
    DONE = "done"
    STOPPED = "stopped"  # by the user's Stop: it keeps what it had written
    ERROR = "error"  # the model failed, or its stream ended without finishing
    INTERRUPTED = "interrupted"  # its owner died or shut down before the end


MESSAGE_STATUSES: Final = tuple(status.value for status in MessageStatus)


class FileStatus(StrEnum):
    UPLOADED = "uploaded"  # stored; its ingestion job waits for a worker
    EXTRACTING = "extracting"
    EMBEDDING = "embedding"  # `chunks_done` of `chunks_total`
    READY = "ready"  # searchable
    FAILED = "failed"  # `reason` says why


FILE_STATUSES: Final = tuple(status.value for status in FileStatus)
FILE_NAME_MAX_CHARS: Final = 255


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, always timezone-aware in UTC: SQLite keeps no zone and returns naive datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named constraints, so migrations can refer to them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar = {datetime: UtcDateTime()}


class User(Base):
    """Everyone who chats. A guest has no email and no password until it becomes a full account: one with an
    email and a password, or one an OpenID provider vouches for, known by (issuer, subject), never by email."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # stored lower-case
    # One per mailbox (auth/emails.py): a look-alike of an address with an account cannot sign up again.
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    upgraded_at: Mapped[datetime | None]
    # Access tokens carry the epoch they were issued at: moving it on (sign-out-everywhere, a password change)
    # ends them all on the next request. A disabled user is refused on the next request.
    token_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    disabled_at: Mapped[datetime | None]
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # What the provider calls the user (its email or name claim), to show; not a key, not unique.
    display_name: Mapped[str | None] = mapped_column(String(254))
    # Set at each sign-in with the provider from the roles it gives (limits/tiers.py); None: the default tier.
    tier: Mapped[str | None] = mapped_column(String(64))
    # When a session of the user was last opened or refreshed (at most once a minute: auth/service.py).
    last_seen_at: Mapped[datetime | None]

    @property
    def is_guest(self) -> bool:
        return self.email is None and self.oidc_subject is None


class RefreshToken(Base):
    """One refresh token of a session (a family). Each use rotates it: the used token is marked, a new one
    issued in the same family. A rotated token used again means it was stolen: its whole family is revoked."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_recent", "user_id", "updated_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last message of the branch the user looks at (messages form a tree; see conversations.tree).
    current_leaf_id: Mapped[uuid.UUID | None]
    tools_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Tools the user allowed for the whole conversation (they run without asking again), by qualified name.
    approved_tools: Mapped[list[str]] = mapped_column(JSON_DOCUMENT, default=list, server_default="[]")
    # The model the user picked (an id of MODELS); null: the default.
    model: Mapped[str | None] = mapped_column(String(100), nullable=True, default=None)
    # MCP servers the user switched off for this conversation (their tools are not offered in it), by name.
    mcp_servers_off: Mapped[list[str]] = mapped_column(JSON_DOCUMENT, default=list, server_default="[]")


class Message(Base):
    """A turn. Messages form a tree by `parent_id`: a retried or edited turn is a sibling, never a replacement."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"role IN {MESSAGE_ROLES}", name="role"),
        CheckConstraint(f"status IN {MESSAGE_STATUSES}", name="status"),
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        UniqueConstraint("conversation_id", "idempotency_key"),
        # At most one answer streams in a conversation at a time (a second send is refused with 409).
        Index(
            "uq_messages_one_streaming_answer",
            "conversation_id",
            unique=True,
            sqlite_where=text("status = 'streaming'"),
            postgresql_where=text("status = 'streaming'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(500))
    model: Mapped[str | None] = mapped_column(String(128))
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    # An answer that called tools: its parts in order (chat.parts; a result also keeps the model's `output`).
    parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON_DOCUMENT)
    # A user message's files ({id, name, media_type}; an image's also the `width` and `height` the model gets).
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON_DOCUMENT)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    # While an answer streams, its owner renews this; past it, the owner is gone and the answer is interrupted.
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Summary(Base):
    """What the model is told of a branch's older turns, up to and including `covers_message_id` (a message
    identifies the branch that leads to it). Made once, when those turns stopped fitting the context window."""

    __tablename__ = "summaries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    covers_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    covered_messages: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    """A user's vote on an answer: one per user and answer, changed in place, withdrawn by deleting it."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(f"rating IN {FEEDBACK_RATINGS}", name="rating"),
        UniqueConstraint("message_id", "user_id"),
        Index("ix_feedback_updated", "updated_at"),  # the operators' export reads the newest first
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(32))  # one of feedback.vocabulary's (the api checks)
    comment: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))  # the answer's, else the one configured when voted
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Share(Base):
    """A read-only link to one branch of a conversation, as it was when shared (`snapshot`, a JSON document).
    Only a hash of the link's token is kept, as for refresh tokens: the link is shown once, at creation."""

    __tablename__ = "shares"
    __table_args__ = (Index("ix_shares_user_recent", "user_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token, hex
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    leaf_message_id: Mapped[uuid.UUID]  # the branch shared ends here (kept for the owner, not for viewers)
    title: Mapped[str] = mapped_column(String(200))
    message_count: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppSecret(Base):
    """Secrets the service makes for itself once and every replica shares (the token signing key, when none
    is configured)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Sign-in attempts under one key (auth/throttle.py), in a window: past its limit, sign-in waits a while."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]  # the next attempt under this key waits until then


class OidcSignIn(Base):
    """A sign-in under way at the OpenID provider: what its callback must check and needs. Taken (deleted) by the
    first callback that names its state, so a state or a code is good once."""

    __tablename__ = "oidc_sign_ins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the state, hex
    browser_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the browser's binding cookie, hex
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    return_to: Mapped[str] = mapped_column(String(2048))
    guest_id: Mapped[uuid.UUID | None]  # the guest who started it: its conversations come along
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UserMemory(Base):
    """A fact the user asked the assistant to keep across conversations (the `remember` tool). `content_key`
    folds case and spacing (a SHA-256, hex): saying the same thing twice keeps one."""

    __tablename__ = "user_memories"
    __table_args__ = (UniqueConstraint("user_id", "content_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(String(MEMORY_MAX_CHARS))
    content_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageDaily(Base):
    """What a user spent on one model in one day (UTC): the admin view's ledger (usage/ledger.py adds to it with
    one upsert per answer, refusal or summary). Totals only, never content."""

    __tablename__ = "usage_daily"
    __table_args__ = (Index("ix_usage_daily_user_day", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(128), primary_key=True)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    answers: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    tool_calls: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class AdminAudit(Base):
    """Every operator's action (admin/audit.py): who, what, on whom, when. Who is kept by id and by the name shown
    then, without foreign keys: the record outlives the accounts it names."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index("ix_admin_audit_recent", "at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None]  # None: the command line (admin/set_tier.py)
    actor_name: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[uuid.UUID | None]
    target_name: Mapped[str | None] = mapped_column(String(254))
    detail: Mapped[str | None] = mapped_column(String(500))


class StoredFile(Base):
    """A file a user attached to a conversation. Its bytes are `FileBlob`s; its text, once ingested, `Chunk`s.
    The media type is read from the content, never from the name or the upload's header."""

    __tablename__ = "files"
    __table_args__ = (
        CheckConstraint(f"status IN {FILE_STATUSES}", name="status"),
        Index("ix_files_conversation_created", "conversation_id", "created_at"),
        Index("ix_files_user_sha256", "user_id", "sha256"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(FILE_NAME_MAX_CHARS))  # sanitised: no folders, no control characters
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # hex
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    pages: Mapped[int | None] = mapped_column(Integer)
    chunks_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    chunks_total: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FileBlob(Base):
    """A file's bytes, in pieces of a bounded size: neither an upload nor a read holds a whole file at once."""

    __tablename__ = "file_blobs"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImageRendition(Base):
    """An image as the model gets it: scaled to the models' limits and encoded again, made once (at ingestion, or
    at the first send that carries it) and read at every turn that sends it."""

    __tablename__ = "image_renditions"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Chunk(Base):
    """A passage of a file's text, with where it came from. Its vector and its full-text index are the
    database's own (documents.schema; migration 0012), outside these models."""

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("file_id", "ordinal"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)  # 1-based, for a PDF
    heading: Mapped[str | None] = mapped_column(String(500))  # the Markdown heading above it
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[int] = mapped_column(Integer)


class IngestJob(Base):
    """A file's ingestion still to do. A worker claims it by taking its lease and renews the lease while it
    works; a job whose lease has run out (its worker died) is claimed again by any replica."""

    __tablename__ = "ingest_jobs"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
