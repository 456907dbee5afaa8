"""What this machine lets the suite use, and what it does about what is missing.

Without Chromium the browser tests are skipped, and without Redis the tests that need a
broker or a Redis cache are; each group with one reason that names how to get it. Under
``PZ_REQUIRE_BROWSER=1`` or ``PZ_REQUIRE_SERVICES=1`` (as CI runs) a missing browser or
service fails the run instead. The run ends with one line saying what was used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

import pytest

CHROMIUM = os.environ.get("PZ_CHROMIUM", "/usr/bin/chromium")
INSTALL_CHROMIUM = "sudo apt-get install chromium"
START_SERVICES = ("start PostgreSQL and Redis on their standard ports (or set DATABASE_URL "
                  "and REDIS_URL)")


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


@cache
def chromium_version() -> str | None:
    """The browser's version line, or None when it is missing or does not run."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return None
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                             timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or os.path.basename(CHROMIUM)


def database() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        return f"PostgreSQL ({db.get('HOST') or 'local'}:{db.get('PORT') or 5432})"
    return "SQLite"


def redis_used() -> bool:
    return bool(os.environ.get("REDIS_URL"))


def pytest_configure(config: pytest.Config) -> None:
    missing = []
    if required("PZ_REQUIRE_BROWSER") and chromium_version() is None:
        missing.append(f"Chromium at {CHROMIUM} ({INSTALL_CHROMIUM})")
    if required("PZ_REQUIRE_SERVICES"):
        from django.conf import settings

        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            missing.append("PostgreSQL")
        if not redis_used():
            missing.append("Redis")
        if shutil.which("redis-server") is None:
            missing.append("redis-server (the fault suite starts its own)")
    if missing:
        raise pytest.UsageError(
            "This run must use every part (PZ_REQUIRE_BROWSER / PZ_REQUIRE_SERVICES), but "
            f"these are missing: {', '.join(missing)}.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_version() is not None:
        return
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM}: "
                                   f"{INSTALL_CHROMIUM} (or set PZ_CHROMIUM)")
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    browser = chromium_version()
    redis = redis_used()
    parts = [
        f"database {database()}",
        f"cache {'Redis' if redis else 'local memory'}",
        "Celery broker Redis (real worker)" if redis else
        f"no Celery broker (worker and Redis tests skipped: {START_SERVICES})",
        f"browser {browser}" if browser else
        f"no browser (browser tests skipped: {INSTALL_CHROMIUM})",
    ]
    terminalreporter.write_line("Ran on this machine with: " + "; ".join(parts) + ".")
