"""An answer's sources: numbered once per answer, and cited as the text streams (markers split over deltas)."""

from chat_api.chat.citations import Sources


def sources(count: int) -> Sources:
    made = Sources()
    for n in range(1, count + 1):
        made.number(f"chunk-{n}", file_id=f"file-{n}", file="a.pdf", page=n, section=None, text=f"passage {n}")
    return made


def cited(made: Sources, *deltas: str) -> list[list[int]]:
    return [[citation.number for citation in made.cited_by(delta)] for delta in deltas]


def test_the_same_passage_keeps_its_number_and_a_new_one_takes_the_next() -> None:
    made = Sources()
    first = made.number("x", file_id="f", file="a.pdf", page=1, section=None, text="one")
    second = made.number("y", file_id="f", file="a.pdf", page=2, section="Intro", text="two")
    assert (first, second, made.number("x", file_id="f", file="a.pdf", page=1, section=None, text="one")) == (1, 2, 1)


def test_markers_cite_each_known_number_once_in_the_order_written() -> None:
    made = sources(3)
    assert cited(made, "As [2] says, and [1, 3] agree", " (see [1][2]).") == [[2, 1, 3], []]


def test_a_marker_split_over_deltas_cites_with_the_delta_that_completes_it() -> None:
    made = sources(12)
    assert cited(made, "It is so [", "1", "2", "] and [", "3,", " 4", "]") == [[], [], [], [12], [], [], [3, 4]]


def test_numbers_that_are_no_source_and_other_brackets_stay_text() -> None:
    made = sources(2)
    assert cited(made, "[9] [a] [1.5] [[x]] array[0] ", "[2") == [[], []]
    assert cited(made, "]") == [[2]]
    assert cited(made, "[" + "x" * 100, "1]") == [[], []]  # a bracket long open starts no marker


def test_without_sources_nothing_is_cited() -> None:
    assert cited(Sources(), "[1]") == [[]]
