"""The ``--user`` / ``--visitor`` arguments shared by the privacy commands."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class SubjectCommand(BaseCommand):
    def add_subject_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--user", help="Username of the customer.")
        group.add_argument("--visitor", help="Visitor id (UUID) of a browser.")

    def subject(self, options: dict[str, Any]) -> dict[str, Any]:
        if options.get("user"):
            model = get_user_model()
            try:
                user = model._default_manager.get_by_natural_key(options["user"])
            except model.DoesNotExist:
                raise CommandError(f"No customer with the username '{options['user']}'.") \
                    from None
            return {"user": user}
        try:
            return {"visitor_id": str(uuid.UUID(options["visitor"]))}
        except ValueError:
            raise CommandError(f"'{options['visitor']}' is not a visitor id (a UUID).") \
                from None
