"""axe-core (npm, pinned in package.json) run in a page: what it finds that is serious or worse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.parts import missing_part

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe's WCAG 2.x A/AA rules on the page as it is now; violations of impact serious or
    critical, each with its rule id, help text and the offending elements."""
    if not AXE.is_file():
        missing_part("node_modules/axe-core is not installed (`make setup-dev` runs npm ci)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const found = await axe.run(document, {
              runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
            });
            return found.violations.map((v) => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [violation for violation in result if violation["impact"] in ("serious", "critical")]
