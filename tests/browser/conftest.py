"""Playwright driving Debian's Chromium against pytest-django's live server.

A missing browser is an error, never a skip: CI installs Chromium, and so does `make test`.
Every page a test visits can be checked with `assert_accessible`, which runs axe-core in the page.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent.name == "browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (CI installs it).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_page(browser, base_url):
    """A page in a fresh context that records console errors (CSP violations included)."""
    context = browser.new_context(base_url=base_url, locale="en-GB", timezone_id="Europe/Vienna")
    page = context.new_page()
    page.set_default_timeout(15000)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))
    page.console_problems = problems
    return page


@pytest.fixture
def page(browser, live_server):
    page = open_page(browser, live_server.url)
    yield page
    page.context.close()
    # A CSP violation or a script error anywhere in the test is a failure.
    assert page.console_problems == [], page.console_problems


_axe = Axe()


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    before = len(page.console_problems)
    results = _axe.run(page)
    # axe-core itself applies inline styles while it measures some pages; the CSP blocks those
    # (harmlessly). Only errors raised while axe runs, and only that kind, are set aside.
    page.console_problems[before:] = [
        p for p in page.console_problems[before:] if "Applying inline style violates" not in p
    ]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}: " + "; ".join(bad)
