"""The files a user message carries: checked against the conversation's files (the user's, this conversation's,
still there, not failed), each image's rendition for the model made if ingestion has not made it yet, and the
renditions loaded when a turn sends them."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from sqlalchemy import exc, select

from chat_api.auth.tokens import Identity
from chat_api.chat.images import ImageInput
from chat_api.chat.schemas import ChatRequest
from chat_api.documents import sniff
from chat_api.documents.images import BadImage, Rendition, render
from chat_api.http.errors import ApiError
from chat_api.storage.engine import Sessions
from chat_api.storage.models import FileBlob, FileStatus, ImageRendition, StoredFile

FIELD = "attachments"


@dataclass(frozen=True)
class Attached:
    """A file a message carries, as the message keeps it; an image's size is the one the model gets."""

    id: uuid.UUID
    name: str
    media_type: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.media_type in sniff.IMAGES

    def stored(self) -> dict[str, Any]:
        row: dict[str, Any] = {"id": str(self.id), "name": self.name, "media_type": self.media_type}
        if self.width is not None and self.height is not None:
            row |= {"width": self.width, "height": self.height}
        return row

    @classmethod
    def of(cls, row: dict[str, Any]) -> "Attached":
        return cls(
            uuid.UUID(str(row["id"])), str(row["name"]), str(row["media_type"]), row.get("width"), row.get("height")
        )


def attached_of(rows: Sequence[dict[str, Any]] | None) -> list[Attached]:
    return [Attached.of(row) for row in rows or ()]


def invalid(reason: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{FIELD}: {reason}")


async def files_named(
    sessions: Sessions, identity: Identity, conversation_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[StoredFile]:
    """The files `ids` names, in that order (each once): a 422 for any that is not a file of this conversation of
    this user (another user's is not told apart from none), or whose reading failed."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    async with sessions.autocommit() as session:
        found = await session.scalars(
            select(StoredFile).where(
                StoredFile.id.in_(wanted),
                StoredFile.user_id == identity.user_id,
                StoredFile.conversation_id == conversation_id,
            )
        )
        files = {file.id: file for file in found}
    for position, file_id in enumerate(wanted):
        file = files.get(file_id)
        if file is None:
            raise invalid(f"no file {file_id} in this conversation (item {position}).")
        if file.status == FileStatus.FAILED:
            raise invalid(f"{file.name} could not be read: {file.reason or 'it failed'}")
    return [files[file_id] for file_id in wanted]


async def attach(sessions: Sessions, files: Sequence[StoredFile], timeout_s: float) -> list[Attached]:
    """The files as a message keeps them; each image with its rendition's size, the rendition made now when
    ingestion has not made it yet (a 422 when the image cannot be read)."""
    attached = []
    for file in files:
        if file.media_type not in sniff.IMAGES:
            attached.append(Attached(file.id, file.name, file.media_type))
            continue
        size = await _rendition_size(sessions, file.id)
        if size is None:
            try:
                made = await make_rendition(sessions, file.id, timeout_s)
            except BadImage as bad:
                raise invalid(f"{file.name}: {bad.reason}") from None
            size = made.width, made.height
        attached.append(Attached(file.id, file.name, file.media_type, *size))
    return attached


async def _rendition_size(sessions: Sessions, file_id: uuid.UUID) -> tuple[int, int] | None:
    async with sessions.autocommit() as session:
        row = (
            await session.execute(
                select(ImageRendition.width, ImageRendition.height).where(ImageRendition.file_id == file_id)
            )
        ).first()
    return (row.width, row.height) if row is not None else None


async def make_rendition(sessions: Sessions, file_id: uuid.UUID, timeout_s: float) -> Rendition:
    """The image's rendition, made in a thread from its stored bytes (its header checked first: a huge image or a
    bomb is refused at once), and kept; `BadImage` when it cannot be made, in time or at all."""
    data = await file_bytes(sessions, file_id)
    try:
        with anyio.fail_after(timeout_s):
            rendition = await anyio.to_thread.run_sync(render, data)
    except TimeoutError:
        raise BadImage(f"Reading the image took longer than {timeout_s:g} s.") from None
    await save_rendition(sessions, file_id, rendition)
    return rendition


async def file_bytes(sessions: Sessions, file_id: uuid.UUID) -> bytes:
    async with sessions.autocommit() as session:
        pieces = await session.scalars(
            select(FileBlob.data).where(FileBlob.file_id == file_id).order_by(FileBlob.ordinal)
        )
        return b"".join(pieces)


async def save_rendition(sessions: Sessions, file_id: uuid.UUID, rendition: Rendition) -> None:
    """Kept once: a rendition made meanwhile (ingestion and a send at once) is the same image, and stays."""
    try:
        async with sessions.begin() as session:
            if await session.get(ImageRendition, file_id) is None:
                session.add(
                    ImageRendition(
                        file_id=file_id,
                        media_type=rendition.media_type,
                        width=rendition.width,
                        height=rendition.height,
                        data=rendition.data,
                    )
                )
    except exc.IntegrityError:
        pass  # made meanwhile, or the file deleted meanwhile: either way nothing to keep


async def renditions(
    sessions: Sessions, user_id: uuid.UUID, file_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ImageRendition]:
    """The renditions of those of `file_ids` that are the user's and still there."""
    if not file_ids:
        return {}
    async with sessions.autocommit() as session:
        found = await session.scalars(
            select(ImageRendition)
            .join(StoredFile, StoredFile.id == ImageRendition.file_id)
            .where(ImageRendition.file_id.in_(list(file_ids)), StoredFile.user_id == user_id)
        )
        return {rendition.file_id: rendition for rendition in found}


def for_model(content: str, attached: Sequence[Attached], vision: bool) -> tuple[str, tuple[ImageInput, ...]]:
    """A user message as the model gets it: its text, with the files it does not see as images named after it
    (it finds their text with `search_documents`), and its images (not loaded yet: see `with_images_loaded`)."""
    shown = vision and any(file.is_image for file in attached)
    images = tuple(
        ImageInput(file.id, file.width, file.height)
        for file in attached
        if vision and file.is_image and file.width is not None and file.height is not None
    )
    named = [file.name for file in attached if not (shown and file.is_image)]
    text = f"{content}\n\n[Files attached to this message: {', '.join(named)}]" if named else content
    return text, images


async def with_images_loaded(sessions: Sessions, user_id: uuid.UUID, request: ChatRequest) -> ChatRequest:
    """The request with the bytes of its images and of its history's (an image whose file was deleted since is
    left out)."""
    wanted = {image.file_id for image in request.images}
    wanted |= {image.file_id for message in request.history for image in message.images}
    if not wanted:
        return request
    found = await renditions(sessions, user_id, wanted)

    def loaded(images: tuple[ImageInput, ...]) -> tuple[ImageInput, ...]:
        return tuple(
            replace(image, media_type=kept.media_type, data=kept.data)
            for image in images
            if (kept := found.get(image.file_id)) is not None
        )

    history = [
        message.with_images(loaded(message.images)) if message.images else message for message in request.history
    ]
    return request.model_copy(update={"history": history}).with_images(loaded(request.images))
