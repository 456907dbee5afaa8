from django.core.management.base import BaseCommand

from oscar_shop.seed import seed


class Command(BaseCommand):
    help = "Create the example's products, sales rep, customer and campaigns (idempotent)."

    def handle(self, *args, **options) -> None:
        found = seed()
        self.stdout.write(f"Seeded {len(found['products'])} products; admin/admin, "
                          "jan@example.com/demo (business customer of Pieter Mulder).")
