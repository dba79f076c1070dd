"""Standard changes: does a change stay inside its pre-approved template?"""

from __future__ import annotations

from collections.abc import Mapping

from opsascode.problems import a
from opsascode.records import Change, ChangeTemplate
from opsascode.records.assets import AssetBase


def template_mismatch(change: Change, template: ChangeTemplate,
                      assets: Mapping[str, AssetBase]) -> str | None:
    """Why the change does not match the template, or None when it does."""
    if change.action not in template.actions:
        return f"action {change.action} is not one of {', '.join(template.actions)}"
    if change.effect not in template.effects:
        return f"effect {change.effect} is not one of {', '.join(template.effects)}"
    if len(change.targets) > template.max_targets:
        return f"{len(change.targets)} targets, the template allows {template.max_targets}"
    for target in change.targets:
        asset = assets.get(target)
        if asset is None:
            return f"target {target!r} is not in the base inventory"
        if template.target_kinds and asset.kind not in template.target_kinds:
            return f"target {target} is {a(asset.kind)}, not one of " + ", ".join(
                template.target_kinds)
        if template.environments and asset.environment not in template.environments:
            return f"target {target} is in {asset.environment}, not " + ", ".join(
                template.environments)
    return None
