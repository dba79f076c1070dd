"""The stable problem codes: every code a problem can carry, with what it means.

Codes are part of the contract (scripts filter on them); a test keeps this table,
the code that emits them and the README's table in step.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    # reading files
    "file-too-large": "the file is over `max_file_size` and was not parsed",
    "binary-file": "the file contains NUL bytes",
    "not-utf8": "the file is not valid UTF-8",
    "symlink-outside": "a symbolic link points outside the repository",
    "unreadable-file": "the file cannot be read",
    "empty-file": "the file holds no records (warning)",
    # YAML
    "yaml-syntax": "the file is not valid YAML",
    "yaml-too-deep": "the document is nested too deeply",
    "duplicate-key": "a mapping has the same key twice",
    "ambiguous-scalar": "an unquoted value means different things in YAML 1.1 and 1.2",
    "unsupported-tag": "a YAML tag such as !!python/object or !!binary",
    "invalid-scalar": "a date or time that does not exist, such as 2026-13-45",
    "alias-bomb": "aliases add more than `max_alias_expansion` nodes, or refer to themselves",
    # records
    "not-a-record": "a file or list item is not a mapping",
    "missing-kind": "a record has no `kind`",
    "unknown-kind": "a record's `kind` is not a known kind",
    "unknown-field": "a field that the kind does not have",
    "missing-field": "a required field is missing",
    "wrong-type": "a field has the wrong type (e.g. an unquoted version 15.10)",
    "invalid-value": "a value outside the allowed ones or an invalid duration, time, ...",
    "invalid-id": "an id that breaks the id rules",
    "naive-timestamp": "a timestamp without a timezone",
    "duplicate-id": "two records share an id",
    # references and the inventory
    "unknown-reference": "a reference to a record that does not exist",
    "wrong-reference": "a reference to a record of the wrong kind",
    "missing-owner": "an asset without an owner team",
    "team-without-members": "a team with no members",
    "unknown-member": "a lead, on-call person or signing key of someone not in the team",
    "dependency-cycle": "assets that depend on themselves through others",
    "missing-sla": "a tier 0 or 1 service without an SLA",
    "min-available-too-large": "a cluster that needs more members up than it has",
    "duplicate-member": "a cluster that lists a member twice",
    "orphan-asset": "nothing depends on an asset that is not a service (warning)",
    "stale-record": "`last_verified` is older than `stale_after_days` (warning)",
    # changes
    "window-ends-before-start": "a change, freeze or maintenance window ending before its start",
    "requested-after-window": "a change requested after its window started",
    "missing-review": "an implemented change without a post-implementation review",
    "missing-rollback-plan": "a normal or emergency change without a rollback plan",
    "missing-template": "a standard change without a template",
    "template-not-standard": "a normal or emergency change that names a template",
    "duplicate-target": "a change that lists a target twice",
    # incidents and problems
    "timestamps-out-of-order": "incident timestamps that are not in order",
    "priority-mismatch": "a declared priority that disagrees with the priority matrix",
    "interval-ends-before-start": "an outage or pause that ends before it starts",
    "missing-resolved-at": "a resolved or closed incident without `resolved_at`",
    "inconsistent-link": "a problem and an incident that disagree about their link",
    "recurring-incidents": "recurring incidents that no problem record links (warning)",
    # branches (plan)
    "undeclared-modification": "an asset or team changed with no change request targeting it",
    "template-mismatch": "a standard change that does not stay inside its template",
    # the audit trail (audit)
    "direct-push": "a main-line commit, not a merge, that changes records or protected paths",
    "unapproved-merge": "a merge the gate would have refused under the policy in force",
    "emergency-overdue": "an emergency change not retro-approved by its deadline",
    "policy-change": "a change to protected paths or team records (informational)",
    # policies
    "duplicate-policy": "a second approval policy, risk model, priority matrix or KPI target set",
    "duplicate-rule": "two approval rules with the same name",
    "unknown-rule": "a rule name that no approval rule has",
    "policy-too-deep": "an approval tree nested deeper than `max_depth`",
    "unknown-role": "a role that no team has",
    "unknown-user": "a user who is in no team",
    "no-approvers": "a rule that requires approvals but names nobody to give them",
    "unsatisfiable-rule": "a rule that requires more approvals than people can give",
    "invalid-rrule": "a recurring window whose RRULE does not parse",
    "unknown-country": "a holiday country or subdivision the holidays library does not know",
}
