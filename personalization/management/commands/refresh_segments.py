"""``manage.py refresh_segments``: recompute computed segments now, with a progress bar."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalization.jobs.refresh import refresh_segment, segment_ids_to_refresh
from personalization.models import Segment

BAR_WIDTH = 30


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#########.....]  3/10`` in plain text."""
    filled = round(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>{len(str(total))}}/{total}"


class Command(BaseCommand):
    help = ("Recompute the membership of computed segments from their rules (the work the "
            "Celery task refresh_all_segments does), in the foreground.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--segment", metavar="SLUG", action="append", default=[],
                            dest="segments",
                            help="Refresh only this segment (repeatable; default: every "
                                 "enabled computed segment).")

    def handle(self, *args: Any, **options: Any) -> None:
        slugs: list[str] = options["segments"]
        if slugs:
            found = dict(Segment.objects.filter(slug__in=slugs).values_list("slug", "pk"))
            missing = sorted(set(slugs) - set(found))
            if missing:
                raise CommandError(f"No segment with slug {', '.join(missing)}.")
            ids = [found[s] for s in slugs]
        else:
            ids = segment_ids_to_refresh()
        if not ids:
            self.stdout.write("No computed segments to refresh.")
            return
        names = dict(Segment.objects.filter(pk__in=ids).values_list("pk", "slug"))
        started, failures = time.monotonic(), 0
        for done, segment_id in enumerate(ids, start=1):
            try:
                result = refresh_segment(segment_id)
                line = (f"{names[segment_id]}: {result.members} members "
                        f"(+{result.entered} −{result.exited}) in {result.seconds:.1f}s")
                if result.warning:
                    line += " " + self.style.WARNING(result.warning)
            except (ValueError, NotImplementedError) as exc:
                failures += 1
                line = self.style.ERROR(f"{names[segment_id]}: {exc}")
            self.stdout.write(f"{progress_bar(done, len(ids))} {line}")
        summary = f"Refreshed {len(ids) - failures} segment(s) in " \
                  f"{time.monotonic() - started:.1f}s."
        if failures:
            raise CommandError(f"{summary} {failures} failed.")
        self.stdout.write(self.style.SUCCESS(summary))
