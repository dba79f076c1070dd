"""YAML, and only YAML: parsing through libyaml, and positions on demand.

This is the one module that imports PyYAML. Parsing uses the C loader (it is ~10x
faster than the pure-Python one, and YAML parsing dominates a cold run), with a
resolver that keeps only the scalars whose meaning is the same under YAML 1.1 and
1.2: ``no``, ``on``, ``012``, ``1_000``, ``1:30`` and friends are reported instead of
silently turned into booleans and numbers. Duplicate keys, unsupported tags and alias
bombs are reported too. Every report is a :class:`YamlIssue` with a 1-based position.

Positions of *other* problems (pydantic errors, failed checks) are recovered by
:func:`locate`, which composes the file again, only for files that have problems.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - install problem
    raise ImportError(
        "PyYAML was built without libyaml; opsascode needs its C loader. "
        "Install libyaml (e.g. apt-get install libyaml-dev) and reinstall PyYAML."
    )

AMBIGUOUS_TAG = "tag:opsascode.dev,2026:ambiguous"
@dataclass(frozen=True)
class YamlIssue:
    """A problem found while parsing; ``line`` and ``column`` are 1-based."""

    code: str
    message: str
    line: int
    column: int


class YamlError(Exception):
    """The file cannot be turned into data at all."""

    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _mark_position(mark: Any) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


# ---------------------------------------------------------------- the resolver

# Scalars that mean the same in YAML 1.1 (PyYAML) and YAML 1.2 (most other tools).
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|[-+]?0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?[0-9]+\.[0-9]*(?:[eE][-+][0-9]+)?|\.[0-9]+(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TIMESTAMP = re.compile(
    r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"
)
# Scalars whose meaning differs between YAML 1.1 and 1.2 (or between tools).
_AMBIGUOUS = re.compile(
    r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"  # booleans in 1.1, strings in 1.2
    r"|[-+]?0[0-9_]+"  # 012: octal in 1.1, decimal in 1.2
    r"|[-+]?0o[0-7]+|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F]*_[0-9a-fA-F_]*"  # radix prefixes
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"  # 1:30 is 90 in 1.1 (sexagesimal)
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"  # 1:30.5, a sexagesimal float
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?"  # 1_000: a number in 1.1 only
    r"|[-+]?[0-9]+(?:\.[0-9]*)?[eE][0-9]+"  # 1e5, 1.5e3: floats in 1.2 only
    r"|[-+]?[0-9]+[eE][-+][0-9]+"  # 1e-3: 1.1 needs a dot
    r"|[-+]\.[0-9]+(?:[eE][-+]?[0-9]+)?"  # -.5: a string in 1.1
    r"|[-+]?[0-9]+\.[0-9]*_[0-9_]*)$"
)

_AMBIGUOUS_HINT = {
    "bool": "YAML 1.1 reads it as a boolean and YAML 1.2 as a string",
    "number": "YAML 1.1 and YAML 1.2 read it as different values",
}


class _Resolver(yaml.resolver.BaseResolver):
    pass


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", _TIMESTAMP, "0123456789"),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), "<"),
    (AMBIGUOUS_TAG, _AMBIGUOUS, "yYnNoO-+0123456789."),
):
    _Resolver.add_implicit_resolver(_tag, _regexp, list(_first))


# ------------------------------------------------------------- the constructor


class _Constructor(yaml.constructor.SafeConstructor):
    issues: list[YamlIssue]

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        # PyYAML's flatten_mapping deletes merge keys (<<) from this very list and, when
        # there were any, gives the node a new one: ``pairs`` ends up holding the
        # mapping's own pairs. Without merges, as many keys as pairs means no duplicates.
        pairs = node.value
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if node.value is not pairs or len(mapping) != len(pairs):
            self._report_duplicates(pairs)
        return mapping

    def _report_duplicates(self, pairs: list[tuple[Any, Any]]) -> None:
        seen: dict[Any, Any] = {}
        for key_node, _ in pairs:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            key = key_node.value
            if key in seen:
                line, column = _mark_position(key_node.start_mark)
                first = seen[key].start_mark.line + 1
                self.issues.append(
                    YamlIssue(
                        "duplicate-key",
                        f"duplicate key {key!r} (first defined on line {first}); "
                        "YAML keeps only the last one, so remove or rename one of them",
                        line,
                        column,
                    )
                )
            else:
                seen[key] = key_node

    def construct_ambiguous(self, node: Any) -> str:
        value: str = node.value
        kind = "bool" if value.lower() in {"yes", "no", "on", "off"} else "number"
        line, column = _mark_position(node.start_mark)
        self.issues.append(
            YamlIssue(
                "ambiguous-scalar",
                f"unquoted {value!r} is ambiguous: {_AMBIGUOUS_HINT[kind]}; "
                f"quote it ('{value}') or write what you mean "
                "(true/false, or a plain decimal number)",
                line,
                column,
            )
        )
        return value

    def construct_checked(self, node: Any) -> Any:
        """Build an int, float, bool or timestamp; a value that cannot be one (an
        explicit ``!!int many``, a 5,000-digit number, 2026-13-45) is a problem at the
        node, not a crash."""
        builder = _SCALARS[node.tag]
        try:
            return builder(self, node)
        except yaml.constructor.ConstructorError:
            raise
        except (ValueError, KeyError, AttributeError, OverflowError, TypeError) as exc:
            what = _SCALAR_NAMES[node.tag]
            detail = f": {exc}" if what == "date or time" and str(exc) else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"{_short(node)} is not a valid {what}{detail}", node.start_mark
            ) from None

    def construct_unsupported(self, node: Any) -> Any:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag {node.tag!r} is not allowed; opsascode reads plain data only "
            "(strings, numbers, booleans, null, timestamps, lists and mappings)",
            node.start_mark,
        )


_register: Any = _Constructor.add_constructor
_register(AMBIGUOUS_TAG, _Constructor.construct_ambiguous)
_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:" + name: getattr(yaml.constructor.SafeConstructor, f"construct_yaml_{name}")
    for name in ("int", "float", "bool", "timestamp")
}
_SCALAR_NAMES = {
    "tag:yaml.org,2002:int": "whole number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:timestamp": "date or time",
}
for _tag in _SCALARS:
    _register(_tag, _Constructor.construct_checked)
for _unsupported in ("binary", "set", "omap", "pairs"):
    _register("tag:yaml.org,2002:" + _unsupported, _Constructor.construct_unsupported)
_register(None, _Constructor.construct_unsupported)


def _short(node: Any) -> str:
    value = str(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
    return repr(value if len(value) <= 40 else value[:37] + "...")


class _Loader(CParser, _Constructor, _Resolver):
    def __init__(self, stream: bytes | str) -> None:
        CParser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)
        self.issues = []


# ------------------------------------------------------------------- parsing


def parse(data: bytes, *, max_expansion: int = 100_000) -> tuple[Any, list[YamlIssue]]:
    """Parse one YAML document; raise :class:`YamlError` if it is not data at all.

    Returns the data and the non-fatal issues (ambiguous scalars, duplicate keys).
    """
    loader = _Loader(data)
    try:
        value = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_issue_from_marked(exc, data)) from None
    except yaml.YAMLError as exc:
        raise YamlError(YamlIssue("yaml-syntax", _one_line(str(exc)), 1, 1)) from None
    except RecursionError:
        raise YamlError(
            YamlIssue("yaml-too-deep", "the document is nested too deeply to read", 1, 1)
        ) from None
    finally:
        loader.dispose()
    if b"*" in data:
        _check_expansion(data, value, max_expansion)
    return value, loader.issues


def _issue_from_marked(exc: yaml.MarkedYAMLError, data: bytes) -> YamlIssue:
    mark = exc.problem_mark or exc.context_mark
    line, column = _clamp(data, *_mark_position(mark))
    problem = exc.problem or "invalid YAML"
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        code = "unsupported-tag"
    elif isinstance(exc, yaml.constructor.ConstructorError) and "unhashable" in problem:
        code, problem = "wrong-type", "a list or mapping cannot be a key; keys are strings"
    elif isinstance(exc, yaml.constructor.ConstructorError):
        code = "invalid-scalar"
    elif "maximum nesting depth" in problem:
        code, problem = "yaml-too-deep", (
            "the document is nested too deeply (more than 1,000 levels); flatten it")
    else:
        code = "yaml-syntax"
    if code == "yaml-syntax" and exc.context:
        problem = f"{exc.context} {problem}"  # PyYAML's own order: context, then problem
    return YamlIssue(code, _one_line(problem), line, column)


def _clamp(data: bytes, line: int, column: int) -> tuple[int, int]:
    """Errors at the end of a file without a final newline point past the last line;
    point at the end of the last line instead."""
    if data.endswith(b"\n"):
        return line, column  # the line after the last newline exists: end of file
    lines = data.split(b"\n")
    if line > len(lines):
        return len(lines), len(lines[-1].decode("utf-8", "replace")) + 1
    return line, column


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_expansion(data: bytes, value: Any, limit: int) -> None:
    """Refuse alias bombs: aliases that add more than ``limit`` nodes to the data
    (beyond what is written out), and aliases that refer to their own anchor."""
    try:
        written, expanded = _node_counts(value)
    except _Recursive:
        line, column = _first_alias(data)
        raise YamlError(YamlIssue("alias-bomb", "an alias refers to its own anchor "
                                  "(recursive data); write the data out", line, column)) from None
    if expanded - written > limit:
        line, column = _first_alias(data)
        raise YamlError(YamlIssue(
            "alias-bomb",
            f"aliases add more than {limit:,} nodes to this file (an alias bomb?); write the "
            "data out or raise `max_alias_expansion` in opsascode.yaml", line, column))


def _children(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return [item for pair in obj.items() for item in pair]
    return list(obj) if isinstance(obj, list) else []


def _node_counts(root: Any) -> tuple[int, int]:
    """(nodes as written, nodes once every alias is expanded), without recursion so
    deep documents cannot overflow the stack (Python's integers hold any size)."""
    sizes: dict[int, int] = {}
    written = 0
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        obj, done = stack.pop()
        key = id(obj)
        children = _children(obj)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _Recursive
        if not isinstance(obj, dict | list):
            continue
        written += 1 + sum(1 for c in children if not isinstance(c, dict | list))
        on_path.add(key)
        stack.append((obj, True))
        for child in children:
            if isinstance(child, dict | list):
                if id(child) in on_path:
                    raise _Recursive
                stack.append((child, False))
    expanded = sizes.get(id(root), 1) if isinstance(root, dict | list) else 1
    return written, expanded


class _Recursive(Exception):
    pass


def _first_alias(data: bytes) -> tuple[int, int]:
    for event in yaml.parse(data, Loader=yaml.CSafeLoader):
        if isinstance(event, yaml.AliasEvent):
            return _mark_position(event.start_mark)
    return 1, 1


# ----------------------------------------------------------------- positions


@dataclass(frozen=True)
class Located:
    line: int
    column: int
    #: The source text of the scalar found, if the path ended on a scalar.
    text: str | None
    #: How many elements of the path were found (a shorter prefix when the
    #: field is missing: then the position is its parent mapping's).
    depth: int


class Document:
    """A composed YAML document that answers "where is this path?" questions."""

    def __init__(self, data: bytes) -> None:
        # With aliases, the (slower) Python composer marks where each one is: the C
        # composer shares the anchored node, and with it the anchor's position.
        loader = _AliasMarking if b"*" in data else yaml.CSafeLoader
        try:
            self._root: Any = yaml.compose(data, Loader=loader)
        except yaml.YAMLError:
            self._root = None

    def locate(self, path: tuple[str | int, ...]) -> Located:
        node = self._root
        if node is None:
            return Located(1, 1, None, 0)
        depth = 0
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
            depth += 1
            if getattr(node, "alias", False):
                break  # what lies under an alias is written at its anchor: point here
        line, column = _mark_position(node.start_mark)
        text = node.value if isinstance(node, yaml.ScalarNode) else None
        return Located(line, column, text, depth)


class _AliasMarking(yaml.SafeLoader):
    """Composes like the safe loader, but an alias (``*name``) becomes a copy of the
    anchored node placed where the alias is, marked ``alias``."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        node: Any = copy.copy(super().compose_node(parent, index))
        node.start_mark, node.end_mark, node.alias = event.start_mark, event.end_mark, True
        return node


def _child(node: Any, step: str | int) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key, value in _mapping_pairs(node):
            if key.value == step or (isinstance(step, int) and key.value == str(step)):
                # A missing value (``key:``) points at the key, which reads better.
                return key if _is_empty(value) else value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        return node.value[step] if 0 <= step < len(node.value) else None
    return None


def _mapping_pairs(node: Any) -> Iterator[tuple[Any, Any]]:
    for key, value in reversed(node.value):  # the last duplicate wins, as when loading
        if isinstance(key, yaml.ScalarNode):
            yield key, value


def _is_empty(node: Any) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "" and node.style is None


def key_position(data: bytes, path: tuple[str | int, ...]) -> tuple[int, int]:
    """Position of the *key* of the last path element (for unknown fields)."""
    doc = Document(data)
    parent = doc._root
    for step in path[:-1]:
        parent = _child(parent, step) if parent is not None else None
    if isinstance(parent, yaml.MappingNode):
        for key, _ in _mapping_pairs(parent):
            if key.value == str(path[-1]):
                return _mark_position(key.start_mark)
    located = doc.locate(path)
    return located.line, located.column


# ------------------------------------------------------------------- writing

# Plain scalars that mean the same in block and flow context and need no quotes; a
# string outside this set, or one that reads back as something else (``no``,
# ``15.10``, ``012``), is double-quoted.
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./()+-](?:[A-Za-z0-9 _./@()+-]*[A-Za-z0-9_./@()+-])?$")
_QUOTED_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def dump_inline(value: Any) -> str:
    """``value`` (a string, number, boolean, null, date or timestamp, or a list or
    mapping of them) as one line of YAML that :func:`parse` reads back as the same
    value, without issues; ValueError when no such line exists."""
    text = _inline(value)
    if not _reads_back(text, value):
        raise ValueError(f"{value!r} cannot be written as YAML that reads back the same")
    return text


def _inline(value: Any) -> str:
    if isinstance(value, str):
        return value if _PLAIN_SAFE.match(value) and _reads_back(value, value) else _quoted(value)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inline(str(k))}: {_inline(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):  # datetimes too: ISO 8601 is YAML's timestamp form
        return value.isoformat()
    raise ValueError(f"a {type(value).__name__} cannot be written as YAML")


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    # YAML 1.1 needs a dot in a float: 1e+20 would read as a string there.
    return text.replace("e", ".0e", 1) if "e" in text and "." not in text else text


def _quoted(value: str) -> str:
    """A double-quoted scalar; anything not printable is a YAML escape."""
    escaped = []
    for char in value:
        if char in _QUOTED_ESCAPES:
            escaped.append(_QUOTED_ESCAPES[char])
        elif char.isprintable():
            escaped.append(char)
        else:
            escaped.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return '"' + "".join(escaped) + '"'


def _reads_back(text: str, value: Any) -> bool:
    try:
        back, issues = parse(text.encode("utf-8"))
    except (YamlError, UnicodeEncodeError):
        return False
    return not issues and back == value and type(back) is type(value)
