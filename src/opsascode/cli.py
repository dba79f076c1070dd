"""The command line: parse arguments and dispatch; nothing else happens here."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
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


def _parser() -> argparse.ArgumentParser:
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

    validate = sub.add_parser("validate", help="load and check the whole repository")
    validate.add_argument("--format", choices=("text", "json", "github"), default=None,
                          help="output format (github when GITHUB_ACTIONS=true, else text)")
    validate.add_argument("--rev", metavar="REV", default=None,
                          help="validate a git revision instead of the working tree")

    impact = sub.add_parser("impact", help="blast radius of assets or of a change")
    impact.add_argument("ids", nargs="+", metavar="ID", help="asset ids or a change id")
    impact.add_argument("--format", choices=("text", "json", "mermaid", "dot"), default="text")
    impact.add_argument("--effect", choices=("outage", "degraded"), default="outage",
                        help="what happens to the given assets (changes bring their own)")
    impact.add_argument("--rev", metavar="REV", default=None,
                        help="read the repository at a git revision")

    plan = sub.add_parser("plan", help="what a branch changes: impact, risk, conflicts")
    plan.add_argument("--base", metavar="REV", default=None,
                      help="base revision (default: merge base with the default branch)")
    plan.add_argument("--head", metavar="REV", default=None, help="head revision (HEAD)")
    plan.add_argument("--also", metavar="REV", nargs="*", default=[],
                      help="other branches whose changes may conflict")
    plan.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    check = sub.add_parser("check", help="the gate: exit 0 only when the branch is approved")
    check.add_argument("--base", metavar="REV", default=None,
                       help="base revision (default: from the CI event, else the merge base)")
    check.add_argument("--head", metavar="REV", default=None, help="head revision (HEAD)")
    check.add_argument("--approvals", metavar="SRC", default="git",
                       help="github, git (approval commits) or a JSON file (default: git)")
    check.add_argument("--format", choices=("text", "json", "markdown", "github"), default=None,
                       help="output format (github when GITHUB_ACTIONS=true, else text)")

    approve = sub.add_parser("approve",
                             help="record an approval of a change in a commit of its own")
    approve.add_argument("change", metavar="CHANGE", help="the change id, e.g. CHG-2026-0042")
    approve.add_argument("--sign", action="store_true",
                         help="sign the commit (git commit -S, with your git signing set-up)")
    approve.add_argument("--by", metavar="HANDLE", default=None,
                         help="approver's handle (default: OPSASCODE_USER, git config "
                         "opsascode.user, then github.user)")
    approve.add_argument("--comment", metavar="TEXT", default=None,
                         help="a comment kept with the approval")

    init = sub.add_parser("init", help="start a new operations repository in DIR")
    init.add_argument("dir", metavar="DIR", type=Path,
                      help="where (made if missing; empty, or only .git, unless --force)")
    init.add_argument("--force", action="store_true",
                      help="write into a directory that is not empty, replacing the files "
                      "init writes (nothing is deleted)")
    init.add_argument("--name", metavar="NAME", default=None,
                      help="name of the organisation (default: the directory's name)")
    init.add_argument("--timezone", metavar="ZONE", default=None,
                      help="IANA timezone of the settings and the business calendar "
                      "(default: UTC)")
    init.add_argument("--country", metavar="CC", default=None,
                      help="public holidays of the business calendar: an ISO 3166 code "
                      "such as DE, or DE-BY with a subdivision (default: none)")

    demo = sub.add_parser("demo", help="run the whole flow on the bundled example")
    demo.add_argument("--keep", action="store_true",
                      help="keep the temporary demo repository for a look")

    audit = sub.add_parser("audit", help="the audit trail from git: change timelines, "
                           "approvals, violations, policy changes")
    _period(audit, "the start of the history", "now")
    audit.add_argument("--asset", metavar="ID", default=None,
                       help="one asset's history, field by field, across renames of its file")
    audit.add_argument("--replay", metavar="POLICY_REV", default=None,
                       help="judge the period's merges again under this revision's approval "
                       "policy and teams; list the decisions that differ")
    audit.add_argument("--approvals", choices=("git", "github"), default="git",
                       help="where approvals are: approval commits (git, the default) or "
                       "the merged pull requests' reviews (github: GITHUB_TOKEN, "
                       "GITHUB_API_URL)")
    audit.add_argument("--repository", metavar="OWNER/NAME", default=None,
                       help="the GitHub repository, with --approvals github (default: "
                       "GITHUB_REPOSITORY)")
    audit.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")
    audit.add_argument("--strict", action="store_true", help="exit 1 when there are violations")

    kpi = sub.add_parser("kpi", help="KPIs against the targets in policies/")
    _period(kpi, "twelve months before --until", "today")
    kpi.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text")

    new = sub.add_parser("new", help="scaffold a change, incident or problem that validates")
    new.add_argument("kind", metavar="KIND", choices=("change", "incident", "problem"),
                     help="change, incident or problem")
    new.add_argument("--id", default=None,
                     help="the id (default: the next free one of this year, e.g. CHG-2026-0016)")
    new.add_argument("--title", metavar="TEXT", default=None, help="one-line summary (required)")
    new.add_argument("--type", default=None,
                     help="changes: standard (needs --template), normal (default) or emergency")
    new.add_argument("--template", metavar="ID", default=None,
                     help="standard changes: the change template in policies/")
    new.add_argument("--team", metavar="TEAM", default=None,
                     help="implementing team (changes, required), handling team (incidents), "
                     "owning team (problems)")
    new.add_argument("--targets", metavar="ID,ID", default=None,
                     help="changes: the assets the change touches (required)")
    new.add_argument("--action", default=None,
                     help="changes: add, modify (default), upgrade, patch, restart, migrate, "
                     "decommission or config")
    new.add_argument("--effect", default=None,
                     help="changes: expected effect on the targets, outage (default), "
                     "degraded or none")
    new.add_argument("--requester", metavar="HANDLE", default=None,
                     help="changes: who asks (default: OPSASCODE_USER, git config "
                     "opsascode.user, then github.user)")
    new.add_argument("--impact", default=None, help="incidents: high, medium (default) or low")
    new.add_argument("--urgency", default=None, help="incidents: high, medium (default) or low")
    new.add_argument("--affected", metavar="ID,ID", default=None,
                     help="incidents and problems: the affected assets and services")
    new.add_argument("--set", dest="assignments", metavar="FIELD=VALUE", action="append",
                     default=[], help="any other field; text fields take VALUE as written, "
                     "others read it as YAML, e.g. --set targets=[db-1,db-2]")
    new.add_argument("--force", action="store_true", help="replace an existing file")

    calendar = sub.add_parser("calendar", help="export the change schedule as text or iCalendar")
    calendar.add_argument("--format", choices=("text", "ics"), default="text")
    _period(calendar, "no limit", "no limit")
    calendar.add_argument("--no-maintenance", action="store_true",
                          help="leave out the occurrences of maintenance windows")

    schema = sub.add_parser("schema", help="print the JSON Schema of a kind (default: a file)")
    schema.add_argument("kind", nargs="?", default=None,
                        help="a kind (database, change, ...), record, records or settings")
    schema.add_argument("--output-dir", metavar="DIR", type=Path, default=None,
                        help="write every schema to DIR/<kind>.json (for editors)")
    return parser


def _default_format(chosen: str | None) -> str:
    if chosen:
        return chosen
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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
