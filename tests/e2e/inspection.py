"""What the journeys check on every page they reach: accessibility (axe-core),
no sideways scrolling on a phone, and a full-page screenshot for people to look at."""

from collections.abc import Iterable
from pathlib import Path

from tests.conftest import REPO

AXE_SCRIPT = next((REPO / "tests" / "e2e" / "vendor").glob("axe-core-*/axe.min.js"))
AXE_SOURCE = "() => { " + AXE_SCRIPT.read_text() + "\n}"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}
PHONE_WIDTH = 375

_RUN_AXE = """async () => {
  // Frames hold uploaded documents (sandboxed, not the portal's markup).
  const results = await axe.run(document, {resultTypes: ["violations"], iframes: false});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def accessibility_violations(page, excused: Iterable[tuple[str, str]] = ()) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now.

    ``excused`` holds (rule id, start of the element's selector) pairs: known
    violations in markup this project does not write (Django's admin), each
    one reported to be fixed where it lives.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the page's
        # Content-Security-Policy does not govern (a <script> tag it would refuse).
        page.evaluate(AXE_SOURCE)
    violations = []
    for violation in page.evaluate(_RUN_AXE):
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        nodes = [
            node
            for node in violation["nodes"]
            if not any(violation["id"] == rule and node["target"].startswith(start) for rule, start in excused)
        ]
        if nodes:
            violations.append({**violation, "nodes": nodes})
    return violations


def describe_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        lines.extend(f"    {node['target']}\n      {node['summary']}" for node in violation["nodes"][:5])
    return "\n".join(lines)


def page_checked(page, screenshot: str | None = None, *, excused: Iterable[tuple[str, str]] = ()) -> None:
    """Call after each navigation. Fails on an accessibility violation that
    blocks people, or on a page wider than a phone's screen."""
    page.wait_for_load_state("load")
    violations = accessibility_violations(page, excused)
    assert not violations, describe_violations(page.url, violations)
    width = page.viewport_size["width"]
    if width <= PHONE_WIDTH:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{page.url} scrolls sideways on a phone: {scroll_width}px > {width}px"
    if screenshot:
        shot_save(page, screenshot)


def shot_save(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    language = page.evaluate("document.documentElement.lang")
    path = SCREENSHOTS / f"{page.viewport_size['width']}px-{language}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
