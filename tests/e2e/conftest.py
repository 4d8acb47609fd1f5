"""Real-browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Nothing is downloaded: Playwright starts /usr/bin/chromium, and only the
loopback address is reached.

One browser for each test, not one for the session. Playwright's sync API
runs an event loop in this thread and resumes the test from inside it, in
another contextvars context; Django's connection handler keeps connections
per context, so once Playwright runs, ``connections["default"]`` is a new
wrapper without the state the test database was set up with (the catalogue
kept for ``serialized_rollback``). The database is therefore set up before the
browser starts and flushed after it stops, in the ordinary context; a
browser starts in about a second.
"""

import shutil

import pytest
from django.db import connections

from tests.conftest import _skip_or_fail

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser():
    # Checked here as well as by the marker in tests/conftest.py, so that the
    # browser is never started without Chromium.
    executable = shutil.which("chromium")
    if executable is None:
        _skip_or_fail("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # While Playwright runs, Django sees an event loop in this thread and
    # refuses database calls unless told they are safe. They are: the loop
    # only waits for the browser while the test's own code runs.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
                # The test's own connections, opened in Playwright's context:
                # closed, so that the flush and PostgreSQL's DROP DATABASE
                # do not wait for them.
                connections.close_all()


@pytest.fixture
def new_page(live_server, browser):
    """Opens a page in a fresh browser context: ``new_page(viewport=PHONE, locale="en-US")``."""
    contexts = []

    def open_page(*, viewport: dict = DESKTOP, locale: str = "zh-CN"):
        phone = viewport["width"] < 768
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale=locale,
            timezone_id="Asia/Shanghai",
            is_mobile=phone,
            has_touch=phone,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # Chromium reports each thing the Content-Security-Policy refused on the console. What
        # has no source address was evaluated by the test itself (axe-core's own probes), not the page.
        page.on(
            "console",
            lambda message: (
                csp_violations.append(f"{page.url}: {message.text} ({message.location.get('url')})")
                if "Content Security Policy" in message.text and message.location.get("url")
                else None
            ),
        )
        return page

    csp_violations: list[str] = []
    yield open_page
    for context in contexts:
        context.close()
    assert not csp_violations, "The Content-Security-Policy refused something:\n" + "\n".join(csp_violations)
