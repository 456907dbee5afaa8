"""``manage.py run_journeys``: scan for due journey messages now and hand them to workers
(with eager Celery, as in the demo without a broker, they are sent right here)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from personalization.journeys.messages import resume_stalled_messages
from personalization.journeys.scan import scan
from personalization.models import JourneyMessage


class Command(BaseCommand):
    help = ("Find the journey messages that are due (abandoned carts, win-back, welcome, "
            "segment entered) and send them. Beat runs this every 15 minutes.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = scan()
        for name, count in result.queued.items():
            self.stdout.write(f"{name}: {count} queued, {result.held_out[name]} held out")
        if not result.queued:
            self.stdout.write("No journey is enabled.")
        resumed = resume_stalled_messages()
        if resumed:
            self.stdout.write(f"{resumed} earlier message(s) handed to a worker again")
        counts = {s: JourneyMessage.objects.filter(status=s).count()
                  for s in ("sent", "queued", "skipped", "cancelled", "failed")}
        self.stdout.write("All journey messages so far: "
                          + ", ".join(f"{n} {s}" for s, n in counts.items()))
