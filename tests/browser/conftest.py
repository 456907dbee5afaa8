"""Browser tests: headless Debian Chromium (``/usr/bin/chromium``) driven by pytest-playwright
against the live server. Nothing is downloaded at run time.

Every test here is marked ``browser``; the root conftest runs them after all other tests.
Playwright's sync API keeps an event loop running in the main thread, which makes Django
refuse ORM calls there, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set from the first browser test to
the end of the session (no other test runs in that window). A failing test leaves a screenshot
of every open page under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import BrowserContext, expect

CHROMIUM = os.environ.get("PZ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 5000
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session", autouse=True)
def _async_unsafe_from_here_on() -> Iterator[None]:
    expect.set_options(timeout=TIMEOUT_MS)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"The browser tests need Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium; .ci/run installs it). Deselect them with "
                    "-m 'not browser'.", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext]) -> Callable[..., BrowserContext]:
    """Contexts that give up after a few seconds: a local page never needs 30."""

    def make(**kwargs: Any) -> BrowserContext:
        context = new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        return context

    return make


@pytest.fixture
def shop(live_server: Any) -> str:
    """The demo shop seeded with its personas and campaigns; its base URL."""
    # Live-server tests run in flushed tables; seed_demo puts the consent purposes back
    # (consent.ensure_purposes), which a data migration made on install.
    call_command("seed_demo", customers=30, history=False, verbosity=0)
    return live_server.url


@pytest.fixture
def shop_with_history(shop: str, settings: Any) -> str:
    """The demo shop with its eight weeks of measured history (the reports' figures), with
    the demo's global holdout of 5 % (the suite's settings turn it off)."""
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "GLOBAL_HOLDOUT_PERCENT": 5}
    call_command("seed_demo", customers=30, verbosity=0)
    return shop


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    browser = getattr(item, "funcargs", {}).get("browser")
    if browser is None:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid)[-150:]
    shots = []
    for i, context in enumerate(browser.contexts):
        for j, page in enumerate(context.pages):
            path = ARTIFACTS / f"{name}-{i}-{j}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                shots.append(str(path))
            except Exception as exc:  # a closed page must not hide the real failure
                shots.append(f"{path}: {exc}")
    if shots:
        report.sections.append(("screenshots", "\n".join(shots)))
