"""The documents area's parts on their own: the type read from content, safe names, text decoding, extraction
and its bounds, chunking, the query's terms and reciprocal rank fusion."""

import codecs
import itertools

import pytest

from chat_api.documents import sniff
from chat_api.documents.chunking import chunk, markdown_sections, windows
from chat_api.documents.decode import decode_text
from chat_api.documents.extract import Bounds, Section, Unreadable, extract, html_text
from chat_api.documents.fusion import reciprocal_rank_fusion
from chat_api.documents.names import safe_name
from chat_api.documents.terms import fts5_query, search_terms, websearch_query

from .pdfs import make_pdf

BOUNDS = Bounds(max_pages=5, max_chars=10_000, timeout_s=10)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"%PDF-1.7\n...", "x.txt", sniff.PDF),
        (b"\x89PNG\r\n\x1a\n....", "x.pdf", sniff.PNG),
        (b"\xff\xd8\xff\xe0..JFIF", "x", sniff.JPEG),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", sniff.WEBP),
        (b"<!doctype html><html>", "x.md", sniff.HTML),
        (b"<!-- a comment -->\n<html lang=en>", "x.txt", sniff.HTML),
        (b"# A heading\n", "notes.MD", sniff.MARKDOWN),
        (b"a,b\n1,2\n", "t.csv", sniff.CSV),
        (b"plain words", "x.pdf", sniff.TEXT),  # the name never makes a type of its own
        (codecs.BOM_UTF16_LE + "hallo".encode("utf-16-le"), "x", sniff.TEXT),
        (b"caf\xe9 latin-1", "x.txt", sniff.TEXT),
        (b"MZ\x90\x00\x03\x00", "x.txt", None),  # a program
        (b"\x1f\x8b\x08\x00", "x.gz", None),  # gzip
        (b"PK\x03\x04", "x.docx", None),
        (b"", "x.txt", None),
    ],
)
def test_the_type_is_read_from_the_content(head: bytes, name: str, expected: str | None) -> None:
    assert sniff.media_type(head, name) == expected


def test_a_utf8_character_cut_by_the_sample_is_still_text() -> None:
    sample = ("é" * 4096).encode()[: sniff.SNIFF_BYTES - 1]  # ends inside a character
    assert sniff.media_type(sample, "x.txt") == sniff.TEXT


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\report.pdf", "report.pdf"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        (".hidden", "hidden"),
        ("a\x00b\u202ec.txt", "abc.txt"),  # NUL and a right-to-left override gone
        ("  spaced   out  .md", "spaced out .md"),
    ],
)
def test_names_are_made_safe(given: str | None, kept: str) -> None:
    assert safe_name(given) == kept


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = safe_name("y" * 10_000 + ".pdf")
    assert len(name) == 255 and name.endswith("….pdf")


def test_text_is_decoded_whatever_its_encoding() -> None:
    text = "Grüße aus Köln"
    assert decode_text(codecs.BOM_UTF8 + text.encode()) == text
    assert decode_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le")) == text
    assert decode_text(codecs.BOM_UTF16_BE + text.encode("utf-16-be")) == text
    assert decode_text(codecs.BOM_UTF32_LE + text.encode("utf-32-le")) == text
    assert decode_text(text.encode("utf-16-le")) == text  # no BOM: told by its NUL bytes
    assert decode_text(b"ok \xff\xfe\xfa ok") == "ok \ufffd\ufffd\ufffd ok"  # invalid UTF-8 replaced


def test_html_keeps_its_text_and_drops_scripts() -> None:
    markup = "<html><head><title>t</title><style>p{}</style></head><body><p>One</p><script>evil()</script>Two</body>"
    assert html_text(markup).split() == ["One", "Two"]


def test_a_pdf_is_read_page_by_page() -> None:
    extracted = extract(make_pdf(["first page", "", "third page"]), sniff.PDF, BOUNDS)
    assert extracted.pages == 3
    assert [(section.page, section.text.strip()) for section in extracted.sections] == [
        (1, "first page"),
        (2, ""),
        (3, "third page"),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (make_pdf(["x"] * 6), "The PDF has 6 pages; at most 5 are read."),
        (make_pdf(["secret"], password="pw"), "The PDF is encrypted with a password."),
        (b"%PDF-1.4\nnothing else", "The PDF is damaged and cannot be read."),
        (make_pdf(["many words " * 300] * 4), "The PDF holds more text than the 10,000 characters a file may have."),
    ],
)
def test_pdfs_past_the_bounds_or_unreadable_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(Unreadable) as refused:
        extract(data, sniff.PDF, BOUNDS)
    assert refused.value.reason == reason


def test_text_past_the_bound_is_refused() -> None:
    with pytest.raises(Unreadable):
        extract(b"a" * 10_001, sniff.TEXT, BOUNDS)


def test_windows_overlap_and_cover_every_word() -> None:
    words = [f"w{n}" for n in range(500)]
    pieces = list(windows(" ".join(words), size=50, overlap=10))
    assert all(len(piece) <= 50 * 3 for piece in pieces)
    assert pieces[0].split()[0] == "w0" and pieces[-1].split()[-1] == "w499"
    for before, after in itertools.pairwise(pieces):
        shared = set(before.split()) & set(after.split())
        assert 3 <= len(shared) <= 10  # about `overlap` tokens repeated, never more
    assert {word for piece in pieces for word in piece.split()} == set(words)


def test_a_word_longer_than_a_chunk_is_cut_and_nothing_loops() -> None:
    pieces = list(windows("x" * 10_000 + " end", size=50, overlap=10))
    assert pieces == ["x" * 150, "end"]


def test_markdown_chunks_keep_the_heading_above_them() -> None:
    text = "Intro line.\n# Guide\nWelcome.\n## Install\nRun it.\n```\n# a comment, not a heading\n```\n## Use\nClick.\n"
    assert list(markdown_sections(text)) == [
        (None, "Intro line."),
        ("Guide", "Welcome."),
        ("Guide > Install", "Run it.\n```\n# a comment, not a heading\n```"),
        ("Guide > Use", "Click."),
    ]
    pieces = chunk([Section(text)], markdown=True, size=100, overlap=10)
    assert [piece.heading for piece in pieces] == [None, "Guide", "Guide > Install", "Guide > Use"]
    assert pieces[2].embedded_text.startswith("Guide > Install\nRun it.")


def test_chunks_never_cross_a_page() -> None:
    pieces = chunk([Section("alpha " * 40, page=1), Section("beta " * 40, page=2)], markdown=False, size=30, overlap=5)
    assert {piece.page for piece in pieces if "alpha" in piece.text} == {1}
    assert {piece.page for piece in pieces if "beta" in piece.text} == {2}
    assert all(piece.tokens > 0 for piece in pieces)


def test_query_terms_leave_out_common_words_and_cannot_inject_operators() -> None:
    terms = search_terms('What is the "capital" of Freedonia? OR NEAR(x) -- der Hauptstadt')
    assert terms == ["capital", "freedonia", "near", "hauptstadt"]
    assert websearch_query(terms) == "capital or freedonia or near or hauptstadt"
    assert fts5_query(terms) == '"capital" OR "freedonia" OR "near" OR "hauptstadt"'
    assert search_terms("the of a") == []


def test_reciprocal_rank_fusion() -> None:
    vector = ["a", "b", "c", "d"]
    text = ["c", "e", "a"]
    fused = reciprocal_rank_fusion([vector, text])
    # a: 1/61 + 1/63; c: 1/63 + 1/61 (a tie, the first ranking's order); b: 1/62; e: 1/62; d: 1/64
    assert fused == ["a", "c", "b", "e", "d"]
    assert reciprocal_rank_fusion([[], []]) == []
    assert reciprocal_rank_fusion([["x"]], k=0) == ["x"]
    # with k=60, a document both rankings agree on beats one either puts first alone
    assert reciprocal_rank_fusion([["solo", "both"], ["other", "both"]])[0] == "both"
