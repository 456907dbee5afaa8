"""``manage.py export_personal_data --user NAME | --visitor ID``: the right of access."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from personalization.datarights.subjects import export_subject
from personalization.management.commands._subject import SubjectCommand


class Command(SubjectCommand):
    help = "Print, as JSON, everything personalization holds on a customer or a visitor id."

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_subject_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        data = export_subject(**self.subject(options))
        self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2))
