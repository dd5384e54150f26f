"""Browser tests: the user journeys driven through Debian's Chromium, each page checked with axe-core.

Every test here is marked `browser`. Without /usr/bin/chromium they are skipped, except in CI (CI=true), where a
missing browser is a failure: a browser suite that silently skips proves nothing.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make from it are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Generous waits: this suite shares small machines with other work, and a PDF render can take a second or two.
expect.set_options(timeout=10_000)

CHROMIUM = Path(os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium"))  # Debian's; elsewhere, say where
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    # pytest-base-url (which pytest-playwright pulls in) declares a session fixture as a method; not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        reason = (f"Chromium is not installed at {CHROMIUM}: the browser tests need it (apt-get install chromium, "
                  "or set LIAISON_CHROMIUM to its path)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}. In CI a missing browser is a failure, not a skip.", pytrace=False)
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The Content-Security-Policy stays on: the pages are tested as people get them, and a violation (an inline
    # script or style the policy blocks) is reported on the console, which fails the test. axe-core is injected
    # through the DevTools protocol (page.evaluate), which CSP does not govern.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "accept_downloads": True,
            "locale": "en-GB", "timezone_id": "Europe/London"}


# --- Accessibility -------------------------------------------------------------------------------------------

def _format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'no impact given'}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"][:10]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
            lines.append(f"       {node['html'][:200]}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def _inject_axe(page) -> None:
    """Load axe-core into the page.

    page.add_script_tag(path=...) inserts an inline <script>, which the Content-Security-Policy (script-src 'self'
    plus a nonce) rightly refuses. Rather than switch the policy off (bypass_csp), the source is evaluated through
    the DevTools protocol, which CSP does not govern: the pages stay under their real policy.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source() + "\n;undefined")
    assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core could not be loaded into the page"


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _is_govuk_conditional_reveal_aria_expanded(node: dict) -> bool:
    """GOV.UK Frontend's documented known issue (alphagov/govuk-frontend#979 and #1280).

    Its radios and checkboxes script sets aria-expanded on an input that reveals a conditional question. ARIA
    does not allow the attribute on a radio, but GDS keep it on purpose: research found screen readers announce
    it usefully and harmlessly. Only that exact case is allowed: any other ARIA attribute fault still fails.
    """
    html = node.get("html", "")
    messages = [check["message"] for kind in ("any", "all", "none") for check in node.get(kind, [])]
    return (re.search(r'class="govuk-(radios|checkboxes)__input"', html) is not None
            and "aria-controls=" in html
            and bool(messages) and all(re.fullmatch(r'ARIA attribute is not allowed: aria-expanded="(true|false)"', m)
                                       for m in messages))


KNOWN_ISSUES = {"aria-allowed-attr": _is_govuk_conditional_reveal_aria_expanded}


def _without_known_issues(violations: list[dict]) -> list[dict]:
    remaining = []
    for v in violations:
        allowed = KNOWN_ISSUES.get(v["id"])
        nodes = [n for n in v["nodes"] if not (allowed and allowed(n))]
        if nodes:
            remaining.append({**v, "nodes": nodes})
    return remaining


def assert_accessible(page, name: str) -> None:
    """Run axe-core (WCAG 2.2 AA rules) on the page as it is now; fail listing every violation readably."""
    _inject_axe(page)
    results = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS)
    violations = _without_known_issues(results["violations"])
    if violations:
        pytest.fail(f"Accessibility violations on {name} ({page.url}):\n{_format_violations(violations)}",
                    pytrace=False)


# --- The journey helper ----------------------------------------------------------------------------------------

class Journey:
    """A person's way through the service: go to pages, and at each key step screenshot and check the page."""

    def __init__(self, page, base_url: str, test_name: str):
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.test_name = test_name
        self.problems: list[str] = []
        self.expected_problems: list[re.Pattern] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error: {exc}"))
        page.set_default_timeout(10_000)

    def _on_console(self, message) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if source.endswith("/favicon.ico"):
            return  # a page without an icon link (the notice letter) makes the browser guess /favicon.ico
        self.problems.append(f"console error on {self.page.url} (from {source or 'the page'}): {message.text}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def go(self, path: str):
        return self.page.goto(self.url(path))

    def expect_console_error(self, pattern: str) -> None:
        """Allow a console error this step causes on purpose (a 404 or 429 response reports one)."""
        self.expected_problems.append(re.compile(pattern))

    def check_console(self) -> None:
        unexpected = [p for p in self.problems if not any(rx.search(p) for rx in self.expected_problems)]
        self.problems.clear()
        self.expected_problems.clear()
        assert not unexpected, "The browser reported problems:\n" + "\n".join(unexpected)

    def screenshot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def step(self, step: str) -> None:
        """A key step: the page is screenshotted, checked with axe, and has had no script or CSP errors."""
        self.page.wait_for_load_state("load")
        self.screenshot(step)
        assert_accessible(self.page, f"{self.test_name}-{step}")
        self.check_console()

    def sign_in(self, username: str, password: str = PASSWORD, *, step: str | None = "sign-in") -> None:
        page = self.page
        self.go("/sign-in/")
        if step:
            self.step(step)
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")


@pytest.fixture
def journey(page, live_server, request):
    j = Journey(page, live_server.url, request.node.originalname)
    yield j
    if not hasattr(request.node, "rep_call") or request.node.rep_call.passed:
        j.check_console()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
