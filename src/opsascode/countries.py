"""The ``holidays`` library: which countries and subdivisions it knows, and their
public holidays. It lives here and nowhere else, in a module that imports nothing of
opsascode, so a worker process that has not loaded the record models can ask it too.

Loading the library and a country costs about 15 ms, more than the rest of a plan's
calendar work. A calendar names a country for its days off, and validation asks
whether the library knows it; the audit's parse-ahead worker answers that question
for the calendars of the branch tip (:func:`calendar_countries`, :func:`answers`),
on the second core, and the audit takes its answers (:func:`remember`): its replays
of the gate then never load the library unless a revision names another country.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import holidays

Place = tuple[str, str | None]  # (country, subdivision or None)

#: What :func:`holiday_error` answered in another process (this library, this run).
_KNOWN: dict[Place, str | None] = {}


def holiday_error(country: str, subdivision: str | None) -> str | None:
    """Why the holidays library cannot give the holidays of a country/subdivision."""
    place = (country, subdivision)
    if place in _KNOWN:
        return _KNOWN[place]
    return _asked(country, subdivision)


@lru_cache(maxsize=1024)
def _asked(country: str, subdivision: str | None) -> str | None:
    import holidays  # 10 ms, and only calendars with a country need it

    _one_country_at_a_time()
    try:  # the country's own module only (the library's list loads every country)
        from holidays.registry import EntityLoader

        codes: Collection[str] = set(EntityLoader.get_country_codes())
        subdivisions = (list(getattr(holidays, country).subdivisions) if country in codes
                        else [])
    except (ImportError, AttributeError):  # another version of the library
        supported = holidays.list_supported_countries()
        codes, subdivisions = supported, supported.get(country, [])
    if country not in codes:
        return f"holidays.country {country!r} is not a supported ISO 3166 country code"
    if subdivision is not None and subdivision not in subdivisions:
        return (f"holidays.subdivision {subdivision!r} is not a subdivision of {country}; "
                f"use one of {', '.join(subdivisions)}")
    return None


def public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase | None:
    """The library's public holidays of a country (None: it does not know it)."""
    import holidays  # 10 ms, and only calendars with a country need it

    _one_country_at_a_time()
    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:  # an unknown country: validate reports unknown-country
        return None


def _one_country_at_a_time() -> None:
    """Let the holidays library load the one country asked for.

    Its lazy loader imports ``holidays.countries.<country>``, and importing any module
    of that package runs the package's ``__init__``, which imports all ~280 countries
    (60 ms of a run that needs one). Before that, the package is registered as a bare
    namespace over the same folder: each country module then loads on its own, as the
    loader intends. Once the package has been imported for real, nothing changes."""
    import importlib.util
    import sys
    import types

    name = "holidays.countries"
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType(name)
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = name
    sys.modules[name] = package


def calendar_countries(documents: Iterable[Any]) -> set[Place]:
    """The (country, subdivision) pairs validation asks about for the calendar records
    among parsed YAML documents (a record, or a list of records): each calendar's
    country alone, and with its subdivision. Anything else is skipped (the loader
    reports it)."""
    places: set[Place] = set()
    for document in documents:
        for record in document if isinstance(document, list) else [document]:
            if not isinstance(record, dict) or record.get("kind") != "calendar":
                continue
            days_off = record.get("holidays")
            if not isinstance(days_off, dict):
                continue
            country, subdivision = days_off.get("country"), days_off.get("subdivision")
            if isinstance(country, str) and country:
                places.add((country, None))
                if isinstance(subdivision, str):
                    places.add((country, subdivision))
    return places


def answers(places: Iterable[Place]) -> dict[Place, str | None]:
    """:func:`holiday_error` of each place (for another process to :func:`remember`)."""
    return {place: holiday_error(*place) for place in places}


def remember(known: dict[Place, str | None]) -> None:
    """Take answers :func:`answers` gave in another process of this run (the same
    library): :func:`holiday_error` gives them without loading it."""
    _KNOWN.update(known)
