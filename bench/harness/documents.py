"""Files for the documents benchmarks: a PDF of many pages of real-looking text (Helvetica, as the api's tests
make them, one text line per PDF line, read back by pypdf), uploads as multipart requests streamed from disk,
and the api's view of a conversation's files."""

import http.client
import io
import json
import random
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from harness.processes import HOST
from harness.words import COMMON
from harness.words import vocabulary as zipf_vocabulary

# The commonest English words the documents benchmarks' text was made with (the first 157 of the list).
ENGLISH = COMMON[: COMMON.index("also") + 1]
LINES_PER_PAGE = 46  # 11 pt text, 14 pt apart, on a Letter page with margins
LINE_CHARS = 92


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    return zipf_vocabulary(rng, size, lengths=(3, 11), common=ENGLISH)


def page_text(rng: random.Random, words: list[str], weights: list[float], number: int) -> str:
    """A page: a heading line, then lines of sentences, about 500 words."""
    lines = [f"{number}. {' '.join(rng.choices(words[100:], k=3)).title()}"]
    line = ""
    while len(lines) < LINES_PER_PAGE:
        sentence = " ".join(rng.choices(words, weights, k=rng.randint(8, 24))).capitalize() + "."
        for word in sentence.split():
            if len(line) + len(word) + 1 > LINE_CHARS:
                lines.append(line)
                line = ""
            line = f"{line} {word}" if line else word
    return "\n".join(lines[:LINES_PER_PAGE])


def make_pdf(pages: int, seed: int) -> bytes:
    rng = random.Random(seed)  # noqa: S311 - made-up text, the same every run
    words = vocabulary(rng)
    weights = [1 / rank for rank in range(1, len(words) + 1)]
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for number in range(1, pages + 1):
        page = writer.add_blank_page(width=612, height=792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
        text = page_text(rng, words, weights, number)
        lines = " ".join(f"({line}) Tj T*" for line in text.splitlines())
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 11 Tf 14 TL 72 740 Td {lines} ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def multipart_file(path: Path, content: Path, name: str, media_type: str) -> str:
    """Writes the multipart body of an upload of `content` to `path` (a piece at a time); its boundary."""
    boundary = uuid.uuid4().hex
    with path.open("wb") as body, content.open("rb") as source:
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n".encode()
        )
        while piece := source.read(1 << 20):
            body.write(piece)
        body.write(f"\r\n--{boundary}--\r\n".encode())
    return boundary


def upload(port: int, token: str, conversation: str, body: Path, boundary: str) -> dict[str, Any]:
    """POSTs a multipart body from disk (streamed, never whole in this process); the api's answer."""
    connection = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        with body.open("rb") as stream:
            connection.request(
                "POST",
                f"/api/conversations/{conversation}/files",
                body=stream,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(body.stat().st_size),
                },
            )
        response = connection.getresponse()
        answer: dict[str, Any] = json.loads(response.read())
        if response.status not in (200, 201):
            raise RuntimeError(f"upload answered {response.status}: {answer}")
        return answer
    finally:
        connection.close()


def files(port: int, token: str, conversation: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/conversations/{conversation}/files",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, our own api
        items: list[dict[str, Any]] = json.load(response)["items"]
        return items


def wait_settled(port: int, token: str, conversation: str, file_id: str, within: float = 600) -> dict[str, Any]:
    """The file once ready or failed, polled every 20 ms; with `seen`: when each state was first seen (s)."""
    began = time.perf_counter()
    seen: dict[str, float] = {}
    while time.perf_counter() - began < within:
        (file,) = [item for item in files(port, token, conversation) if item["id"] == file_id]
        seen.setdefault(file["status"], time.perf_counter() - began)
        if file["status"] in ("ready", "failed"):
            return {**file, "seen": seen}
        time.sleep(0.02)
    raise TimeoutError(f"the file was not ready within {within} s")
