"""The command line: parse arguments and dispatch; nothing else happens here."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from opsascode import __version__, error_handler, lifetime
from opsascode.roots import Options


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _period(parser: argparse.ArgumentParser, since: str, until: str) -> None:
    """--since and --until: days (YYYY-MM-DD, the repository's timezone), both included."""
    parser.add_argument("--since", metavar="DATE", type=_day, default=None,
                        help=f"first day, YYYY-MM-DD (default: {since})")
    parser.add_argument("--until", metavar="DATE", type=_day, default=None,
                        help=f"last day, included (default: {until})")


def _validate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "github"), default=None,
                        help="output format (github when GITHUB_ACTIONS=true, else text)")
    parser.add_argument("--rev", metavar="REV", default=None,
                        help="validate a git revision instead of the working tree")


def _impact_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="+", metavar="ID", help="asset ids or a change id")
    parser.add_argument("--format", choices=("text", "json", "mermaid", "dot"), default="text")
    parser.add_argument("--effect", choices=("outage", "degraded"), default="outage",
                        help="what happens to the given assets (changes bring their own)")
    parser.add_argument("--rev", metavar="REV", default=None,
                        help="read the repository at a git revision")


def _plan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", metavar="REV", default=None,
                        help="base revision (default: merge base with the default branch)")
    parser.add_argument("--head", metavar="REV", default=None, help="head revision (HEAD)")
    parser.add_argument("--also", metavar="REV", nargs="*", default=[],
                        help="other branches whose changes may conflict")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def _check_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", metavar="REV", default=None,
                        help="base revision (default: from the CI event, else the merge base)")
    parser.add_argument("--head", metavar="REV", default=None, help="head revision (HEAD)")
    parser.add_argument("--approvals", metavar="SRC", default="git",
                        help="github, git (approval commits) or a JSON file (default: git)")
    parser.add_argument("--format", choices=("text", "json", "markdown", "github"), default=None,
                        help="output format (github when GITHUB_ACTIONS=true, else text)")


def _approve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("change", metavar="CHANGE", help="the change id, e.g. CHG-2026-0042")
    parser.add_argument("--sign", action="store_true",
                        help="sign the commit (git commit -S, with your git signing set-up)")
    parser.add_argument("--by", metavar="HANDLE", default=None,
                        help="approver's handle (default: OPSASCODE_USER, git config "
                        "opsascode.user, then github.user)")
    parser.add_argument("--comment", metavar="TEXT", default=None,
                        help="a comment kept with the approval")


def _init_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", metavar="DIR", type=Path,
                        help="where (made if missing; empty, or only .git, unless --force)")
    parser.add_argument("--force", action="store_true",
                        help="write into a directory that is not empty, replacing the files "
                        "init writes (nothing is deleted)")
    parser.add_argument("--name", metavar="NAME", default=None,
                        help="name of the organisation (default: the directory's name)")
    parser.add_argument("--timezone", metavar="ZONE", default=None,
                        help="IANA timezone of the settings and the business calendar "
                        "(default: UTC)")
    parser.add_argument("--country", metavar="CC", default=None,
                        help="public holidays of the business calendar: an ISO 3166 code "
                        "such as DE, or DE-BY with a subdivision (default: none)")


def _demo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary demo repository for a look")


def _audit_options(parser: argparse.ArgumentParser) -> None:
    _period(parser, "the start of the history", "now")
    parser.add_argument("--asset", metavar="ID", default=None,
                        help="one asset's history, field by field, across renames of its file")
    parser.add_argument("--replay", metavar="POLICY_REV", default=None,
                        help="judge the period's merges again under this revision's approval "
                        "policy and teams; list the decisions that differ")
    parser.add_argument("--approvals", choices=("git", "github"), default="git",
                        help="where approvals are: approval commits (git, the default) or "
                        "the merged pull requests' reviews (github: GITHUB_TOKEN, "
                        "GITHUB_API_URL)")
    parser.add_argument("--repository", metavar="OWNER/NAME", default=None,
                        help="the GitHub repository, with --approvals github (default: "
                        "GITHUB_REPOSITORY)")
    parser.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are violations")


def _kpi_options(parser: argparse.ArgumentParser) -> None:
    _period(parser, "twelve months before --until", "today")
    parser.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")


def _new_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", metavar="KIND", choices=("change", "incident", "problem"),
                        help="change, incident or problem")
    parser.add_argument("--id", default=None,
                        help="the id (default: the next free one of this year, e.g. CHG-2026-0016)")
    parser.add_argument("--title", metavar="TEXT", default=None, help="one-line summary (required)")
    parser.add_argument("--type", default=None,
                        help="changes: standard (needs --template), normal (default) or emergency")
    parser.add_argument("--template", metavar="ID", default=None,
                        help="standard changes: the change template in policies/")
    parser.add_argument("--team", metavar="TEAM", default=None,
                        help="implementing team (changes, required), handling team (incidents), "
                        "owning team (problems)")
    parser.add_argument("--targets", metavar="ID,ID", default=None,
                        help="changes: the assets the change touches (required)")
    parser.add_argument("--action", default=None,
                        help="changes: add, modify (default), upgrade, patch, restart, migrate, "
                        "decommission or config")
    parser.add_argument("--effect", default=None,
                        help="changes: expected effect on the targets, outage (default), "
                        "degraded or none")
    parser.add_argument("--requester", metavar="HANDLE", default=None,
                        help="changes: who asks (default: OPSASCODE_USER, git config "
                        "opsascode.user, then github.user)")
    parser.add_argument("--impact", default=None, help="incidents: high, medium (default) or low")
    parser.add_argument("--urgency", default=None, help="incidents: high, medium (default) or low")
    parser.add_argument("--affected", metavar="ID,ID", default=None,
                        help="incidents and problems: the affected assets and services")
    parser.add_argument("--set", dest="assignments", metavar="FIELD=VALUE", action="append",
                        default=[], help="any other field; text fields take VALUE as written, "
                        "others read it as YAML, e.g. --set targets=[db-1,db-2]")
    parser.add_argument("--force", action="store_true", help="replace an existing file")


def _calendar_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "ics"), default="text")
    _period(parser, "no limit", "no limit")
    parser.add_argument("--no-maintenance", action="store_true",
                        help="leave out the occurrences of maintenance windows")


def _schema_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", default=None,
                        help="a kind (database, change, ...), record, records or settings")
    parser.add_argument("--output-dir", metavar="DIR", type=Path, default=None,
                        help="write every schema to DIR/<kind>.json (for editors)")


#: Each command: its help line, and what sets up its own options.
_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "validate": ("load and check the whole repository", _validate_options),
    "impact": ("blast radius of assets or of a change", _impact_options),
    "plan": ("what a branch changes: impact, risk, conflicts", _plan_options),
    "check": ("the gate: exit 0 only when the branch is approved", _check_options),
    "approve": ("record an approval of a change in a commit of its own", _approve_options),
    "init": ("start a new operations repository in DIR", _init_options),
    "demo": ("run the whole flow on the bundled example", _demo_options),
    "audit": ("the audit trail from git: change timelines, approvals, violations, policy "
              "changes", _audit_options),
    "kpi": ("KPIs against the targets in policies/", _kpi_options),
    "new": ("scaffold a change, incident or problem that validates", _new_options),
    "calendar": ("export the change schedule as text or iCalendar", _calendar_options),
    "schema": ("print the JSON Schema of a kind (default: a file)", _schema_options),
}


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command``, only that command's own options
    are set up (the others are listed, for ``--help``, with nothing behind them)."""
    parser = argparse.ArgumentParser(
        prog="opsascode",
        description="An IT operations service system as code: inventory, changes, "
        "incidents and the approval gate, in git.",
    )
    parser.add_argument("--version", action="version", version=f"opsascode {__version__}")
    parser.add_argument("-C", dest="directory", metavar="DIR", default=".",
                        help="run as if opsascode was started in DIR")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the parsed-file cache (also OPSASCODE_CACHE=0)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (text, options) in _COMMANDS.items():
        added = sub.add_parser(name, help=text)
        if command in (None, name):
            options(added)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names after the global options, when it is one."""
    args = iter(argv)
    for arg in args:
        if arg == "-C":
            next(args, None)  # its value
        elif not arg.startswith("-"):
            return arg if arg in _COMMANDS else None
    return None


def _default_format(chosen: str | None) -> str:
    if chosen:
        return chosen
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser(_command_in(argv))
    args = parser.parse_args(argv)
    options = Options(directory=Path(args.directory), use_cache=not args.no_cache)

    def dispatch() -> int:
        if args.command == "validate":
            from opsascode.commands.validate import validate

            return validate(options, _default_format(args.format), rev=args.rev)
        if args.command == "impact":
            from opsascode.commands.impact import impact

            return impact(options, args.ids, args.format, args.effect, args.rev)
        if args.command == "plan":
            from opsascode.commands.plan import plan

            return plan(options, args.format, args.base, args.head, args.also)
        if args.command == "check":
            from opsascode.commands.check import check

            return check(options, _default_format(args.format), args.base, args.head,
                         args.approvals)
        if args.command == "approve":
            from opsascode.commands.approve import approve

            return approve(options, args.change, args.sign, args.by, args.comment)
        if args.command == "init":
            from opsascode.commands.init import init

            return init(options, args.dir, args.force, args.name, args.timezone,
                        args.country)
        if args.command == "demo":
            from opsascode.commands.demo import demo

            return demo(args.keep)
        if args.command == "audit":
            from opsascode.commands.audit import audit, start

            reviews = None
            if args.approvals == "github":
                from opsascode.approvals.github import MergedPulls

                reviews = MergedPulls.from_environment(args.repository)
            elif args.repository:
                parser.error("--repository goes with --approvals github")
            started = start(options)  # git reads history while the rest loads
            return audit(options, args.format, args.since, args.until, args.asset,
                         args.replay, args.strict, started=started, reviews=reviews)
        if args.command == "kpi":
            from opsascode.commands.kpi import kpi

            return kpi(options, args.format, args.since, args.until)
        if args.command == "new":
            from opsascode.commands.new import SHORTCUTS, collect_fields, new

            fields = collect_fields({name: getattr(args, name) for name in SHORTCUTS},
                                    args.assignments)
            return new(options, args.kind, fields, args.force)
        if args.command == "calendar":
            from opsascode.commands.calendar import calendar

            return calendar(options, args.format, args.since, args.until,
                            maintenance=not args.no_maintenance)
        if args.command == "schema":
            from opsascode.commands.schema import schema

            return schema(args.kind, args.output_dir)
        parser.error(f"unknown command {args.command}")  # pragma: no cover
        return 2

    return error_handler.run(dispatch)


def run() -> None:
    """The console entry point (``opsascode``, ``python -m opsascode``).

    A command is a short-lived process whose data holds no reference cycles, so the
    cyclic garbage collector stays off (it would scan millions of parsed objects
    again and again), and the interpreter's teardown of those objects is skipped, as
    is freeing them one by one before that (:mod:`opsascode.lifetime`).
    """
    gc.disable()
    lifetime.process_ends_with_exit()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass  # the reader went away (`| head`): nothing more to say
    lifetime.end()
    os._exit(code)
