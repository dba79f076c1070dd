from __future__ import annotations

import datetime as dt

import pytest

from opsascode import yamlio


def codes(data: bytes) -> list[tuple[str, int, int]]:
    _, issues = yamlio.parse(data)
    return [(i.code, i.line, i.column) for i in issues]


def parse_error(data: bytes) -> yamlio.YamlIssue:
    with pytest.raises(yamlio.YamlError) as info:
        yamlio.parse(data)
    return info.value.issue


@pytest.mark.parametrize("scalar", ["no", "Yes", "ON", "off", "012", "08", "1_000", "1:30",
                                    "0o17", "0b101", "1e5"])
def test_ambiguous_scalars_are_reported_with_their_position(scalar: str) -> None:
    value, issues = yamlio.parse(f"a: 1\nkey: {scalar}\n".encode())
    assert value["key"] == scalar  # kept as written, never silently converted
    assert [(i.code, i.line, i.column) for i in issues] == [("ambiguous-scalar", 2, 6)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("False", False), ("12", 12), ("-3", -3), ("0", 0), ("1.5", 1.5),
     ("15.10", 15.1), ("0x1F", 31), ("~", None), ("'no'", "no"), ("plain", "plain")],
)
def test_scalars_with_one_meaning_load_normally(text: str, expected: object) -> None:
    value, issues = yamlio.parse(f"v: {text}\n".encode())
    assert value == {"v": expected}
    assert issues == []


def test_timestamps_keep_their_timezone() -> None:
    value, _ = yamlio.parse(b"at: 2026-12-01T22:00:00+08:00\nday: 2026-12-01\n")
    assert value["at"].utcoffset() == dt.timedelta(hours=8)
    assert value["day"] == dt.date(2026, 12, 1)


def test_duplicate_keys_point_at_the_second_key() -> None:
    assert codes(b"a: 1\nb: 2\na: 3\n") == [("duplicate-key", 3, 1)]


def test_duplicate_keys_in_nested_mappings() -> None:
    assert codes(b"- id: x\n  kind: a\n  kind: b\n") == [("duplicate-key", 3, 3)]


def test_merge_keys_may_be_overridden_without_a_duplicate() -> None:
    value, issues = yamlio.parse(b"base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n")
    assert value["m"] == {"x": 3, "y": 2}
    assert issues == []


def test_invalid_yaml_is_an_error_with_a_position() -> None:
    issue = parse_error(b"a: [1, 2\nb: 3\n")
    assert issue.code == "yaml-syntax"
    assert issue.line >= 1 and issue.column >= 1


def test_python_tags_are_refused() -> None:
    issue = parse_error(b"a: !!python/object/apply:os.system ['true']\n")
    assert (issue.code, issue.line, issue.column) == ("unsupported-tag", 1, 4)


@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!set {a}", "!custom x"])
def test_non_plain_tags_are_refused(tag: str) -> None:
    assert parse_error(f"a: {tag}\n".encode()).code == "unsupported-tag"


def test_impossible_dates_are_errors_not_crashes() -> None:
    issue = parse_error(b"a: 1\nb: 2026-13-45\n")
    assert (issue.code, issue.line) == ("invalid-scalar", 2)


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefg"):
        prev = "abcdefg"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    issue = parse_error("\n".join(lines).encode())
    assert (issue.code, issue.line) == ("alias-bomb", 2)


def test_recursive_alias_is_refused() -> None:
    assert parse_error(b"a: &a [1, *a]\n").code == "alias-bomb"


def test_a_few_aliases_are_fine() -> None:
    value, _ = yamlio.parse(b"a: &a [1, 2]\nb: *a\n")
    assert value == {"a": [1, 2], "b": [1, 2]}


def test_locate_finds_nested_nodes_and_bare_scalars() -> None:
    doc = yamlio.Document(b"- id: a\n  depends_on:\n    - b\n    - {id: c, relation: x}\n")
    found = doc.locate((0, "depends_on", 1, "relation"))
    assert (found.line, found.column, found.text) == (4, 25, "x")
    # a path through a shorthand scalar stops at the scalar
    found = doc.locate((0, "depends_on", 0, "id"))
    assert (found.line, found.column, found.text) == (3, 7, "b")
    # a missing field points at its parent mapping
    assert doc.locate((0, "owner")).depth == 1


def test_key_position_points_at_the_key() -> None:
    assert yamlio.key_position(b"id: x\nkind: server\nfoo: 1\n", ("foo",)) == (3, 1)


def test_a_path_through_an_alias_is_located_at_the_alias() -> None:
    data = b"- &svc\n  id: a\n  tier: 2\n- *svc\n- id: b\n  tags: &t [x, y]\n  more: *t\n"
    document = yamlio.Document(data)
    assert (document.locate((0, "id")).line, document.locate((0, "id")).column) == (2, 7)
    found = document.locate((1, "id"))  # the repeated record: at its alias, line 4
    assert (found.line, found.column, found.depth) == (4, 3, 1)
    more = document.locate((2, "more", 0))
    assert (more.line, more.column) == (7, 9)
    tags = document.locate((2, "tags", 1))
    assert (tags.line, tags.column) == (6, 16)
