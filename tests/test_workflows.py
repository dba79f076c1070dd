"""The GitHub integration files keep the gate's security model (DESIGN.md §4).

These tests read the workflows, the composite action and the pre-commit hook file as
plain YAML and assert the properties a reviewer would otherwise have to re-check by
eye on every edit: pinned actions, no template expansion in scripts, read-only
permissions, and a gate that runs the base branch's code and reads the pull
request's head as data only. actionlint and zizmor are run by .ci/run, not here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
GATE = WORKFLOWS / "gate.yml"
VALIDATE = WORKFLOWS / "validate.yml"
ACTION = ROOT / "action.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"

SHA = re.compile(r"[0-9a-f]{40}")
# `uses: owner/repo@<sha> # vX.Y.Z`: the comment says which release the id is.
PINNED_LINE = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\b")
EXPRESSION = re.compile(r"\$\{\{")
UNTRUSTED = re.compile(r"\$\{\{[^}]*\b(github\.event\b|github\.head_ref\b)")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path} is not a mapping"
    return document


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    """The `on:` section; YAML 1.1 (PyYAML) reads the key `on` as True."""
    value = workflow.get("on", workflow.get(True))
    if isinstance(value, str):
        return {value: None}
    if isinstance(value, list):
        return dict.fromkeys(value)
    assert isinstance(value, dict), "a workflow needs `on:`"
    return value


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        yield from document["runs"].get("steps", [])
        return
    for job in document["jobs"].values():
        yield from job.get("steps", [])


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def integration_files() -> list[Path]:
    return [*workflow_files(), ACTION]


def test_the_files_exist() -> None:
    for path in (GATE, VALIDATE, ACTION, HOOKS):
        assert path.is_file(), path


@pytest.mark.parametrize("path", integration_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_id(path: Path) -> None:
    for step in steps(load(path)):
        uses = step.get("uses")
        if uses is None:
            continue
        assert not uses.startswith("docker://"), f"{path.name}: docker image {uses}"
        name, _, ref = uses.partition("@")
        assert SHA.fullmatch(ref), f"{path.name}: {uses} is not pinned to a 40-hex commit id"
        assert name.count("/") >= 1, f"{path.name}: {uses}"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(r"\s*-?\s*uses:", line):
            assert PINNED_LINE.search(line), (
                f"{path.name}:{number}: pin with a `# vX.Y.Z` comment naming the release")


def test_each_action_is_pinned_to_the_same_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in integration_files():
        for step in steps(load(path)):
            if "uses" in step:
                name, _, ref = step["uses"].partition("@")
                pins.setdefault(name, set()).add(ref)
    assert {"actions/checkout", "actions/setup-python"} <= pins.keys()
    assert all(len(refs) == 1 for refs in pins.values()), pins


def test_the_injection_detector_itself() -> None:
    assert UNTRUSTED.search('echo "${{ github.event.pull_request.title }}"')
    assert UNTRUSTED.search("git fetch origin ${{github.head_ref}}")
    assert not UNTRUSTED.search('echo "$TITLE"')


@pytest.mark.parametrize("path", integration_files(), ids=lambda p: p.name)
def test_no_template_expansion_inside_scripts(path: Path) -> None:
    """Values reach scripts through `env:` only: `${{ }}` in `run:` is pasted into
    the script before the shell parses it, so a crafted title or branch name would
    run as code. The rule is stricter than "no github.event": no expression at all."""
    for step in steps(load(path)):
        script = step.get("run")
        if script is None:
            continue
        assert not UNTRUSTED.search(script), f"{path.name}: untrusted value in {step.get('name')}"
        assert not EXPRESSION.search(script), (
            f"{path.name}: pass values through env:, not ${{{{ }}}}, in {step.get('name')!r}")


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_workflows_use_no_secrets_and_never_write(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "secrets." not in text, f"{path.name} must not need secrets"
    workflow = load(path)
    scopes = [workflow.get("permissions")]
    scopes += [job.get("permissions") for job in workflow["jobs"].values()]
    assert workflow.get("permissions") is not None, f"{path.name}: set top-level permissions"
    for scope in scopes:
        if scope is None:
            continue
        assert isinstance(scope, dict), f"{path.name}: permissions {scope!r} (read-all/write-all)"
        assert set(scope.values()) <= {"read", "none"}, f"{path.name}: {scope}"


def test_pull_request_target_is_used_only_by_the_gate() -> None:
    for path in workflow_files():
        on = triggers(load(path))
        if path != GATE:
            assert "pull_request_target" not in on, path.name
            assert "workflow_run" not in on, path.name


def test_gate_triggers() -> None:
    on = triggers(load(GATE))
    assert set(on) == {"pull_request_target", "pull_request_review", "merge_group"}
    target_types = set(on["pull_request_target"]["types"])
    assert {"opened", "synchronize", "reopened", "edited"} <= target_types
    assert {"submitted", "dismissed"} <= set(on["pull_request_review"]["types"])
    assert on["merge_group"]["types"] == ["checks_requested"]


def test_gate_permissions_are_exactly_read_only() -> None:
    gate = load(GATE)
    assert gate["permissions"] == {"contents": "read", "pull-requests": "read"}
    assert all("permissions" not in job for job in gate["jobs"].values())


def test_gate_job_is_named_gate_and_runs_one_at_a_time_per_pull_request() -> None:
    gate = load(GATE)
    assert list(gate["jobs"]) == ["gate"]
    assert gate["jobs"]["gate"]["name"] == "gate"
    group = gate["concurrency"]["group"]
    assert "github.event.pull_request.number" in group
    assert "github.event.merge_group" in group


def test_gate_checks_out_the_base_and_fetches_the_head_as_data_only() -> None:
    gate = load(GATE)
    job_steps = list(steps(gate))
    checkouts = [s for s in job_steps if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 1, "one checkout: the base commit"
    checkout = checkouts[0]["with"]
    ref = checkout["ref"]
    assert "pull_request.base.sha" in ref and "merge_group.base_sha" in ref, ref
    assert "head" not in ref.lower(), f"the gate must never check out the head: {ref}"
    assert "merge" not in ref.replace("merge_group", ""), "never the PR merge commit"
    assert "repository" not in checkout, "never the head repository (a fork)"
    assert checkout["persist-credentials"] is False
    scripts = [s["run"] for s in job_steps if "run" in s]
    for script in scripts:
        for forbidden in ("git checkout", "git switch", "git worktree", "git reset",
                          "git merge", "git pull", "git submodule", "git restore"):
            assert forbidden not in script, f"the gate must not {forbidden} anything"
    fetch = next(s for s in scripts if "fetch" in s)
    assert '"$HEAD_SHA"' in fetch and "--no-recurse-submodules" in fetch
    assert 'test "$(git rev-parse HEAD)" = "$BASE_SHA"' in fetch


def test_gate_installs_only_its_own_base_checkout() -> None:
    job_steps = list(steps(load(GATE)))
    installs = [i for i, s in enumerate(job_steps) if "pip install" in s.get("run", "")]
    assert len(installs) == 1
    command = job_steps[installs[0]]["run"].split()
    assert command[-1] == ".", "install the checked-out base, nothing named by the PR"
    assert "-e" not in command and "--editable" not in command
    fetch = next(i for i, s in enumerate(job_steps) if "fetch" in s.get("run", ""))
    assert fetch < installs[0], "the base commit is verified before anything is installed"


def test_gate_runs_the_check_with_github_approvals() -> None:
    last = list(steps(load(GATE)))[-1]
    assert last["run"].strip() == "opsascode check --approvals github --format github"
    assert last["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


def test_validate_runs_the_pull_request_sandboxed() -> None:
    validate = load(VALIDATE)
    assert set(triggers(validate)) == {"pull_request"}
    assert validate["permissions"] == {"contents": "read"}
    scripts = "\n".join(s.get("run", "") for s in steps(validate))
    assert "opsascode validate --format github" in scripts
    assert "opsascode plan" in scripts and "--format markdown" in scripts
    assert '>> "$GITHUB_STEP_SUMMARY"' in scripts
    for step in steps(validate):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_action_installs_itself_and_checks_out_the_base() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert inputs["approvals"]["default"] == "github"
    assert inputs["format"]["default"] == "github"
    assert inputs["python-version"]["default"] == "3.11"
    action_steps = list(steps(action))
    checkout = next(s for s in action_steps if s.get("uses", "").startswith("actions/checkout@"))
    ref = checkout["with"]["ref"]
    assert "base" in ref and "head" not in ref.lower()
    assert checkout["with"]["persist-credentials"] is False
    install = next(s for s in action_steps if "pip install" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert install["run"].rstrip().endswith('"$ACTION_PATH"')
    check = action_steps[-1]
    assert "opsascode" in check["run"] and "check" in check["run"]
    for step in action_steps:
        if "run" in step:
            assert step.get("shell") == "bash", "composite run steps need a shell"


def test_pre_commit_hook_validates_the_repository() -> None:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "opsascode-validate")
    assert hook["entry"] == "opsascode validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for path in ("inventory/db.yaml", "policies/approval.yaml", "changes/CHG-1.yaml",
                 "incidents/INC-1.yaml", "problems/PRB-1.yaml", "opsascode.yaml"):
        assert files.search(path), path
    for path in ("README.md", "src/opsascode/cli.py", "schemas/change.json",
                 "docs/inventory/x.yaml", "opsascode.yaml.orig"):
        assert not files.search(path), path
