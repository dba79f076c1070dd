"""``opsascode init DIR``: start a new operations repository.

It writes settings, a small inventory (two teams; a business service on an
application, a database and a server), the policies (approval policy, risk model,
business calendar, priority matrix, SLA, KPI targets, a standard-change template),
folders for changes, incidents and problems, the JSON Schemas, the gate workflows, a
``.gitignore`` and a README. The files come from the templates in
``report/templates/init/`` and validate with no errors and no warnings.

Decisions:

* **Nothing is lost.** A directory that holds anything but ``.git`` is refused
  unless ``--force``; files the command would write are listed, and with ``--force``
  they are replaced (each atomically), but nothing else is ever touched or deleted.
  Paths through symbolic links, or blocked by a directory, are refused even then.
* **git.** A directory outside any git working tree gets ``git init -b main``
  (``plan`` and ``check`` read git), with no commit: the user reviews and commits.
  Inside another repository's working tree, nothing is initialised and the output
  says why ``plan`` and ``check`` want a repository of their own.
* **The gate's pin.** The workflows name the opsascode release that wrote them, but
  only a commit id pins an action, and a release cannot know its own commit id. So
  they carry a placeholder the user replaces (the output says how); until then the
  gate cannot start, which fails closed rather than running an unpinned action.
* **Defaults.** Timezone UTC and no public holidays, unless ``--timezone`` and
  ``--country`` (``CC`` or ``CC-SUBDIVISION``, ISO 3166) say otherwise; the name is
  the directory's. Bad values are usage errors (exit 2) and nothing is written.
"""

from __future__ import annotations

import difflib
import shlex
import sys
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from opsascode import __version__, atomic, scaffold, yamlio
from opsascode.commands.schema import render
from opsascode.errors import FatalError, UsageError
from opsascode.git import init_repository, work_tree_top
from opsascode.report.init import Verbatim, markdown_text, render_repository, yaml_values
from opsascode.schema import schema_names
from opsascode.workspace import Options

BRANCH = "main"
#: The composite action (``action.yml``) that runs the gate, and the tool's home.
ACTION = "opsascode/opsascode"
#: Stands for the commit id of this release in the workflows until the user pins it.
PIN_PLACEHOLDER = f"PIN-TO-THE-COMMIT-ID-OF-v{__version__}"
#: Folders whose YAML files are records (checked for the schema comment and parsed).
RECORD_FOLDERS = ("inventory/", "policies/")


@dataclass(frozen=True)
class Choices:
    """What the new repository is made for."""

    name: str
    timezone: str
    country: str | None = None
    subdivision: str | None = None


def init(options: Options, directory: Path, force: bool, name: str | None,
         timezone: str | None, country: str | None, out: TextIO | None = None, *,
         now: datetime | None = None) -> int:
    out = out or sys.stdout
    root = options.directory / directory
    choices = choose(root, name, timezone, country)
    files = repository_files(choices, scaffold.local_now(now, choices.timezone).date())
    replaced = require_writable(root, files, force)
    root.mkdir(parents=True, exist_ok=True)
    git_note = prepare_git(root)
    for rel, text in files.items():
        atomic.write_text(root / rel, text)
    report(out, root, choices, files, replaced)
    print(git_note, file=out)
    print(next_steps(root), file=out)
    return 0


# ------------------------------------------------------------------ the choices


def choose(root: Path, name: str | None, timezone: str | None, country: str | None
           ) -> Choices:
    code, subdivision = checked_country(country)
    return Choices(checked_name(name if name is not None else root.resolve().name),
                   checked_timezone(timezone), code, subdivision)


def checked_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise UsageError("the repository needs a name: pass --name NAME")
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in name):
        raise UsageError(f"--name {name!r} must be one line of text (no line breaks or "
                         "control characters)")
    return name


def checked_timezone(timezone: str | None) -> str:
    if timezone is None:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown timezone {timezone!r}{_zone_hint(timezone)}; nothing was "
                         "written. Use an IANA name such as Europe/Berlin, "
                         "America/New_York or UTC") from None
    return timezone


def _zone_hint(timezone: str) -> str:
    zones = sorted(zoneinfo.available_timezones())
    same = [zone for zone in zones if zone.lower() == timezone.lower()]
    close = same or difflib.get_close_matches(timezone, zones, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def checked_country(country: str | None) -> tuple[str | None, str | None]:
    """``CC`` or ``CC-SUBDIVISION`` (ISO 3166-1 / 3166-2) as the holidays library
    knows them: (country, subdivision or None)."""
    if country is None:
        return None, None
    # The holidays library lives behind the calendars module, imported when needed.
    from opsascode.countries import holiday_error

    code, _, subdivision = country.strip().upper().partition("-")
    reason = holiday_error(code, subdivision or None) if code else "it is empty"
    if reason:
        raise UsageError(f"unknown --country {country!r}: {reason}; nothing was written. "
                         "Use an ISO 3166 code such as DE, US or CN, optionally with a "
                         "subdivision: DE-BY, US-CA")
    return code, subdivision or None


# -------------------------------------------------------------------- the files


def repository_files(choices: Choices, today: date) -> dict[str, str]:
    """Every file of the new repository: relative path -> text."""
    files = render_repository(template_context(choices, today))
    files.update({f"schemas/{name}.json": render(name) for name in schema_names()})
    verify_records(files)
    return dict(sorted(files.items()))


def template_context(choices: Choices, today: date) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(choices.timezone)
    freeze_year = today.year if today < date(today.year, 12, 18) else today.year + 1
    values = {
        "name": choices.name, "timezone": choices.timezone,
        "country": choices.country, "subdivision": choices.subdivision,
        "maintenance_start": datetime.combine(date(today.year, 1, 1), time(22), zone),
        "freeze_name": f"year-end-freeze-{freeze_year}",
        "freeze_start": datetime.combine(date(freeze_year, 12, 18), time(0), zone),
        "freeze_end": datetime.combine(date(freeze_year + 1, 1, 4), time(0), zone),
        "peak_start": datetime.combine(date(today.year, 1, 31), time(0), zone),
        "example_day": date(freeze_year, 12, 24),
    }
    return {
        "y": yaml_values(values),
        "md": {"name": markdown_text(choices.name), "year": Verbatim(str(today.year))},
        "gh": {"action": Verbatim(ACTION), "ref": Verbatim(PIN_PLACEHOLDER),
               "version": Verbatim(__version__)},
        "holidays": choices.country is not None,
        "subdivision": choices.subdivision is not None,
    }


def verify_records(files: dict[str, str]) -> None:
    """Record files must parse cleanly: a template that does not is a bug, never a file."""
    for rel, text in files.items():
        if rel == "opsascode.yaml" or (rel.startswith(RECORD_FOLDERS) and rel.endswith(".yaml")):
            try:
                _value, issues = yamlio.parse(text.encode("utf-8"))
            except yamlio.YamlError as exc:
                raise RuntimeError(f"the template of {rel} does not make YAML: {exc}") from None
            if issues:
                raise RuntimeError(f"the template of {rel} makes questionable YAML: {issues}")


# ------------------------------------------------------------ the destination


def require_writable(root: Path, files: dict[str, str], force: bool) -> list[str]:
    """Refuse what would lose or misplace data; the files that ``--force`` replaces."""
    if root.exists() and not root.is_dir():
        raise FatalError(f"{root} exists and is not a directory; nothing was written")
    blocked = sorted({why for rel in files if (why := obstacle(root, rel))})
    if blocked:
        raise FatalError(f"cannot write into {root}, even with --force: {'; '.join(blocked)}; "
                         "nothing was written")
    existing = [rel for rel in files if (root / rel).exists()]
    if not force and root.is_dir() and any(p.name != ".git" for p in root.iterdir()):
        clash = f"; it would replace {_listed(existing)}" if existing else ""
        raise FatalError(f"{root} is not empty; nothing was written. Pass --force to add "
                         f"the files of a new repository to it (nothing is deleted){clash}")
    return existing


def obstacle(root: Path, rel: str) -> str | None:
    """Why ``rel`` cannot be written as a regular file inside ``root``, or None."""
    parts = rel.split("/")
    path = root
    for depth, part in enumerate(parts, 1):
        path, shown, last = path / part, "/".join(parts[:depth]), depth == len(parts)
        if path.is_symlink():
            return f"{shown} is a symbolic link"
        if path.exists() and not (path.is_file() if last else path.is_dir()):
            return f"{shown} is not a {'regular file' if last else 'directory'}"
    return None


def _listed(paths: list[str]) -> str:
    """Paths for a message, with the JSON Schemas counted rather than named."""
    schemas = [p for p in paths if p.startswith("schemas/")]
    named = [p for p in paths if p not in schemas]
    return ", ".join([*named, f"{len(schemas)} files in schemas/"] if schemas else named)


def prepare_git(root: Path) -> str:
    """``git init -b main`` outside git; a sentence on what was done."""
    top = work_tree_top(root)
    if top is None:
        init_repository(root, BRANCH)
        return f"initialised a git repository (branch {BRANCH}); nothing is committed yet"
    if top.resolve() == root.resolve():
        return "kept the existing git repository; nothing is committed"
    return (f"note: this is inside the git repository at {top}; `plan` and `check` need "
            f"the operations repository at the top of its own one (`git init -b {BRANCH}` "
            "in a directory of its own)")


# -------------------------------------------------------------------- the output


def report(out: TextIO, root: Path, choices: Choices, files: dict[str, str],
           replaced: list[str]) -> None:
    schemas = [rel for rel in files if rel.startswith("schemas/")]
    for rel in files:
        if rel not in schemas:
            print(f"{'replaced' if rel in replaced else 'created'} {rel}", file=out)
    print(f"wrote {len(schemas)} JSON Schemas to schemas/", file=out)
    print(f"business calendar: {calendar_summary(choices)}", file=out)


def calendar_summary(choices: Choices) -> str:
    if choices.country is None:
        holidays = "no public holidays (--country CC adds them)"
    else:
        region = f"{choices.country}-{choices.subdivision}" if choices.subdivision else None
        holidays = f"public holidays of {region or choices.country}"
    zone = " (--timezone ZONE sets another)" if choices.timezone == "UTC" else ""
    return f"timezone {choices.timezone}{zone}, {holidays}"


def next_steps(root: Path) -> str:
    return f"""
Next:
  1. Put your people in inventory/teams.yaml: the handles ending in --replace-me
     stand for GitHub handles.
  2. Pin opsascode in .github/workflows/gate.yml and validate.yml: replace
     {PIN_PLACEHOLDER} with the commit id of v{__version__}, from
       git ls-remote https://github.com/{ACTION} refs/tags/v{__version__}
  3. Check and commit:
       cd {shlex.quote(str(root))} && opsascode validate
       git add -A && git commit -m "Start the operations repository"
  4. On GitHub, require the status check `gate` (README.md: "Set up the gate")."""
