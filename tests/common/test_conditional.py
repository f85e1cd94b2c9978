"""Entity tags and preconditions: RFC 9110 §8.8.3 parsing and comparison, §13.2.2 evaluation."""

from __future__ import annotations

import re

import pytest

from apps.common.conditional import (
    ANY,
    EntityTag,
    MalformedHeaderError,
    Outcome,
    Preconditions,
    object_etag,
    page_etag,
    parse_tags,
    strong_match,
    weak_match,
)

A = EntityTag("a")
WEAK_A = EntityTag("a", weak=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"a"', (A,)),
        ('W/"a"', (WEAK_A,)),
        ('""', (EntityTag(""),)),
        ('"a", W/"b"', (A, EntityTag("b", weak=True))),
        (' "a" ,\t"b" ', (A, EntityTag("b"))),
        ('"a",,"b",', (A, EntityTag("b"))),  # empty list elements are allowed (§5.6.1)
        ("*", ANY),
        ("  *  ", ANY),
        ('"caf\xe9"', (EntityTag("caf\xe9"),)),  # obs-text, as WSGI's latin-1 hands it over
    ],
)
def test_parses_star_and_lists_of_tags(value: str, expected: object) -> None:
    assert parse_tags(value, header="If-Match") == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        ",",
        "a",  # unquoted
        '"a',  # no closing quote
        'a"',
        '"a"b',
        '"a" "b"',  # no comma between tags
        'w/"a"',  # the weak prefix is case-sensitive
        'W/ "a"',
        '"a"b"',
        '"a\\"b"',  # no escapes inside an entity tag
        '"a b"',  # no space inside
        '"a", *',  # * only on its own
        "**",
        '"\x7f"',
    ],
)
def test_malformed_values_are_refused_naming_the_header(value: str) -> None:
    with pytest.raises(MalformedHeaderError) as raised:
        parse_tags(value, header="If-None-Match")

    assert "If-None-Match" in raised.value.detail  # type: ignore[operator]


def test_strong_comparison_refuses_weak_tags_on_either_side() -> None:
    assert strong_match((A,), A)
    assert not strong_match((WEAK_A,), A)
    assert not strong_match((A,), WEAK_A)
    assert not strong_match((EntityTag("b"),), A)
    assert strong_match((EntityTag("b"), A), A)
    assert strong_match(ANY, A)


def test_weak_comparison_ignores_weakness() -> None:
    assert weak_match((WEAK_A,), A)
    assert weak_match((A,), WEAK_A)
    assert not weak_match((EntityTag("b", weak=True),), A)
    assert weak_match(ANY, A)


def test_object_tags_differ_by_kind_identity_and_version() -> None:
    tag = object_etag(kind="pets.Pet:id,name", pk=1, version=1)

    assert tag == object_etag(kind="pets.Pet:id,name", pk=1, version=1)
    assert not tag.weak
    assert (
        len(
            {
                tag,
                object_etag(kind="pets.Pet:id,name", pk=1, version=2),
                object_etag(kind="pets.Pet:id,name", pk=2, version=1),
                object_etag(kind="pets.Pet:id,name,notes", pk=1, version=1),
                object_etag(kind="photos.Photo:id", pk=1, version=1),
            }
        )
        == 5
    )
    assert re.fullmatch(r'"[0-9a-f]+"', str(tag))


def test_page_tags_follow_the_total_and_each_row_in_order() -> None:
    def tag(count: int, rows: list[tuple[int, int]]) -> EntityTag:
        return page_etag(kind="k", count=count, rows=rows)

    base = tag(3, [(1, 1), (2, 1)])

    assert base == tag(3, [(1, 1), (2, 1)])
    assert base != tag(4, [(1, 1), (2, 1)])  # something was added on another page
    assert base != tag(3, [(1, 1), (2, 2)])  # a row changed
    assert base != tag(3, [(2, 1), (1, 1)])  # the order changed
    assert base != tag(3, [(1, 1)])


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "safe", "outcome"),
    [
        (None, None, True, Outcome.PROCEED),
        ((A,), None, False, Outcome.PROCEED),
        ((EntityTag("old"),), None, False, Outcome.FAILED),
        ((WEAK_A,), None, False, Outcome.FAILED),
        (ANY, None, False, Outcome.PROCEED),
        (None, (A,), True, Outcome.NOT_MODIFIED),
        (None, (WEAK_A,), True, Outcome.NOT_MODIFIED),
        (None, (EntityTag("old"),), True, Outcome.PROCEED),
        (None, ANY, True, Outcome.NOT_MODIFIED),
        (None, (A,), False, Outcome.FAILED),  # If-None-Match on a PUT
        (None, ANY, False, Outcome.FAILED),
        ((EntityTag("old"),), (EntityTag("x"),), True, Outcome.FAILED),  # If-Match first
        ((A,), (A,), True, Outcome.NOT_MODIFIED),
    ],
)
def test_evaluation_follows_rfc_9110_order(
    if_match: object, if_none_match: object, safe: bool, outcome: Outcome
) -> None:
    preconditions = Preconditions(if_match, if_none_match)  # type: ignore[arg-type]

    assert preconditions.evaluate(A, safe=safe) is outcome


def test_a_write_is_pinned_only_when_a_tag_was_compared() -> None:
    assert not Preconditions().pins_version
    assert not Preconditions(if_match=ANY).pins_version
    assert Preconditions(if_match=(A,)).pins_version
    assert Preconditions(if_none_match=(A,)).pins_version


def test_reads_the_headers_from_the_environ() -> None:
    meta = {"HTTP_IF_MATCH": '"a"', "HTTP_IF_NONE_MATCH": "*"}

    assert Preconditions.from_meta(meta) == Preconditions((A,), ANY)
    assert Preconditions.from_meta({}) == Preconditions()
    with pytest.raises(MalformedHeaderError):
        Preconditions.from_meta({"HTTP_IF_MATCH": "nope"})
