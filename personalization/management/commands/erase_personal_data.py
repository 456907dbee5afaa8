"""``manage.py erase_personal_data --user NAME | --visitor ID``: the right to erasure."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from personalization.datarights.subjects import erase_subject
from personalization.management.commands._subject import SubjectCommand


class Command(SubjectCommand):
    help = ("Erase everything personalization holds on a customer or a visitor id (profile, "
            "aliases, segment memberships, events); consent records stay under a pseudonym. "
            "Running it again erases nothing more.")

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_subject_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = erase_subject(**self.subject(options))
        for name, count in counts.items():
            self.stdout.write(f"{name.replace('_', ' ')}: {count}")
