"""``manage.py seed_demo``: deterministic, idempotent demo data (demo only: admin/admin)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo_shop.seed.run import DEFAULT_CUSTOMERS, seed


class Command(BaseCommand):
    help = (
        "Create the demo catalog, personas (password 'demo'), an admin/admin superuser and "
        "synthetic customers with a year of orders. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            help=f"Number of synthetic customers (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--no-history", dest="history", action="store_false",
            help="Skip the eight weeks of measured history behind the campaign reports.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed(options["customers"], log=lambda line: self.stdout.write(line),
             history=options.get("history", True))
