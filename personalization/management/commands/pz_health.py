"""``manage.py pz_health``: the state of the database, cache, broker, workers and outbox;
exits with status 1 when any is down (for monitoring and container health checks)."""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from personalization.jobs.health import check_all


class Command(BaseCommand):
    help = ("Check each part personalization depends on: database, cache, Celery broker and "
            "workers, and work waiting in the outbox. Exit status 1 when one is down.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the checks as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = check_all()
        if options["json"]:
            self.stdout.write(json.dumps([c.__dict__ for c in checks], indent=2))
        else:
            for check in checks:
                mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("DOWN")
                self.stdout.write(f"{mark} {check.name:<9} {check.detail}")
        if not all(c.ok for c in checks):
            sys.exit(1)
