"""Images the tests make: ordinary ones (Pillow), and the hostile kinds, written by hand so that making them
costs the tests nothing: a PNG whose header claims 50,000 x 50,000 pixels, and a decompression bomb (a small
PNG whose pixels would take gigabytes)."""

import io
import struct
import zlib

from PIL import Image


def picture(kind: str, width: int, height: int, mode: str = "RGB") -> bytes:
    """A real image of one colour (PNG, JPEG or WEBP); with alpha (RGBA), a see-through one."""
    buffer = io.BytesIO()
    colour = (0, 128, 128, 100) if mode == "RGBA" else "teal"
    Image.new(mode, (width, height), colour).save(buffer, format=kind)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def claimed_png(width: int, height: int, idat: bytes = b"") -> bytes:
    """A well-formed PNG header (checksums right) claiming `width` x `height` one-bit pixels, with `idat` as its
    compressed pixels (none: a header without pixels behind it)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def bomb_png(side: int) -> bytes:
    """A PNG of `side` x `side` black one-bit pixels, every one of them really there: a few hundred kB that
    decode to side² pixels (20,000: 400 megapixels, over a gigabyte as RGB)."""
    row = b"\x00" * (1 + (side + 7) // 8)  # the filter byte, then the row's bits
    packer = zlib.compressobj(9)
    compressed = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return claimed_png(side, side, compressed)
