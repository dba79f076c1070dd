from __future__ import annotations

import io
from pathlib import Path

from opsascode.commands.demo import demo, example_source


def test_the_example_ships_with_the_package() -> None:
    source = example_source()
    top = Path(__file__).parent.parent
    shipped = sorted(p.relative_to(source).as_posix() for p in source.glob("*/*.yaml"))
    original = sorted(p.relative_to(top).as_posix() for p in top.glob("*/*.yaml")
                      if p.parts[-2] in ("inventory", "policies", "changes", "incidents",
                                         "problems"))
    assert shipped == original


def test_demo_runs_the_whole_flow() -> None:
    out = io.StringIO()
    assert demo(out=out) == 0
    text = out.getvalue()
    for step in ("validate ok", "risk: ", "check: PENDING", "check: APPROVED",
                 "git merge --no-ff", "KPIs from 2026-06-01"):
        assert step in text, step
    assert text.rstrip().endswith("CHG-2026-0016 approved and merged.")
    assert "opsascode-demo-" in text and not Path(text.split(", ")[1].split()[0]).exists()
