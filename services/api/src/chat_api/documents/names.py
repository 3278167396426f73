"""A file's name as the user gave it, made safe to keep and show: the last part of any path, no control or
format characters, bounded in length with its extension kept."""

import os
import unicodedata
from typing import Final

from chat_api.storage.models import FILE_NAME_MAX_CHARS

FALLBACK: Final = "file"


def safe_name(given: str | None) -> str:
    name = unicodedata.normalize("NFC", given or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # `../../etc/passwd` -> `passwd`; Windows paths too
    name = "".join(char for char in name if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    name = " ".join(name.split()).strip(" .")  # no leading dots (hidden files), no `..`
    if not name:
        return FALLBACK
    if len(name) <= FILE_NAME_MAX_CHARS:
        return name
    stem, extension = os.path.splitext(name)
    extension = extension if len(extension) <= 16 else ""
    return stem[: FILE_NAME_MAX_CHARS - len(extension) - 1] + "…" + extension
