"""Shared field types and the base class of every record.

Every record forbids unknown fields (a typo must not pass silently), is strict about
types (YAML 1.1 surprises such as an unquoted ``15.10`` must not turn into numbers
silently) and carries field descriptions that feed ``opsascode schema``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

ID_PATTERN = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$"

ID_RULE = "1-63 characters of [a-z0-9] separated by single - _ or ."
RECORD_ID_RULE = (ID_RULE + " (upper case allowed for changes, incidents and problems, "
                  "e.g. CHG-2026-0042)")
ID_MAX_LENGTH = 63

# The constraints run in pydantic's core (a Python validator per id costs a third of
# a second per 100,000 records); schema_errors turns their errors into invalid-id.
AssetId = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, max_length=ID_MAX_LENGTH),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "minLength": 1, "maxLength": 63}),
    Field(description="Lower-case id: " + ID_RULE + "."),
]
RecordId = Annotated[
    str,
    StringConstraints(pattern=RECORD_ID_PATTERN, max_length=ID_MAX_LENGTH),
    WithJsonSchema(
        {"type": "string", "pattern": RECORD_ID_PATTERN, "minLength": 1, "maxLength": 63}
    ),
    Field(description="Id of a change, incident or problem; upper case allowed, "
          "e.g. CHG-2026-0042."),
]
Handle = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$",
        description="A person's code-host handle (GitHub login).",
    ),
]

Currency = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="Currency, an ISO 4217 code such as EUR.")
]
CostPeriod = Literal["month", "year"]
Environment = Literal["production", "staging", "test", "development"]
Tier = Annotated[int, Field(ge=0, le=3, description="0 mission-critical .. 3 low.")]
Level3 = Literal["high", "medium", "low"]
Priority = Literal["P1", "P2", "P3", "P4"]
Effect = Literal["outage", "degraded", "none"]

# Timestamps: YAML gives datetime objects for unquoted timestamps; a quoted ISO
# string is accepted too. A timestamp without a timezone is refused (code
# ``naive-timestamp``) because a change window in "local time" is ambiguous across
# sites and DST.
Timestamp = Annotated[AwareDatetime, Field(strict=False)]

_DURATION_RE = re.compile(r"^(?:(\d+)w)?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")


def parse_duration(value: Any) -> timedelta:
    """Parse ``90m``, ``4h``, ``1h30m``, ``2d``, ``1w`` into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a duration is a string such as '15m', '4h', '1h30m', '2d' or '1w'")
    match = _DURATION_RE.match(value.strip())
    if not match or not any(match.groups()):
        raise ValueError(
            f"{value!r} is not a duration; write e.g. '15m', '4h', '1h30m', '2d' or '1w'"
        )
    weeks, days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def format_duration(value: timedelta) -> str:
    total = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0m"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$",
            "description": "A duration such as 15m, 4h, 1h30m, 2d or 1w.",
        }
    ),
]


def _check_clock(value: str) -> str:
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if not match and value != "24:00":
        raise ValueError(f"{value!r} is not a time of day; write HH:MM in quotes, e.g. '09:00'")
    return value


Clock = Annotated[
    str,
    AfterValidator(_check_clock),
    Field(description="A time of day, HH:MM (quote it: YAML 1.1 reads 9:30 as a number)."),
]


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {value!r}; use an IANA name such as 'Europe/Berlin'"
        ) from None
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_check_timezone),
    Field(description="An IANA timezone name, e.g. Europe/Berlin or UTC."),
]


def _check_folder(value: str) -> str:
    import posixpath

    clean = posixpath.normpath(value)
    if (not value or value.startswith("/") or "\\" in value or clean == "."
            or clean.startswith("..") or ":" in value):
        raise ValueError(
            f"{value!r} is not a folder inside the repository; write a relative path "
            "such as 'inventory'"
        )
    return clean


FolderName = Annotated[
    str,
    AfterValidator(_check_folder),
    Field(description="A folder inside the repository, relative to its root."),
]


class Model(BaseModel):
    """Base of every nested object: strict types, unknown fields forbidden."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
    )


class Record(Model):
    """Base of every top-level record: it has an ``id`` and a ``kind``."""

    id: str = Field(description="Unique id of the record across the repository.")
    kind: str = Field(description="What the record is; decides which fields it has.")

    @property
    def is_asset(self) -> bool:
        return False


def empty_list() -> list[Any]:
    """The ``default_factory`` of list fields, in place of the builtin ``list``.

    pydantic reads every default factory's signature while it builds a model; a
    builtin's is parsed from its text signature with the tokenizer (40 µs a field and a
    one-off 4 ms to set the tokenizer up, 5 ms of every start), a function's is free.
    """
    return []
