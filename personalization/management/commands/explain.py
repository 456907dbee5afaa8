"""``manage.py explain``: which content a customer or visitor would get in each slot, and why."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalization.engine.context import VisitorContext
from personalization.engine.decide import Decision, choose
from personalization.engine.rulebook import RuleBook, get_rulebook
from personalization.touchpoints.preview import (
    anonymous_facts,
    customer_facts,
    new_visitor_id,
    on_page,
    outcome,
)


class Command(BaseCommand):
    help = ("Show which campaign and variant each slot would show to a customer or visitor, "
            "and why. No impression or event is recorded.")

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--user", metavar="USERNAME",
                         help="Simulate this logged-in customer.")
        who.add_argument("--visitor", metavar="ID",
                         help="Simulate the anonymous visitor with this visitor id (a UUID). "
                              "Without it (and without --user): a new visitor outside the "
                              "global holdout.")
        parser.add_argument("--slot", metavar="KEY",
                            help="Explain only this slot (default: every slot).")
        parser.add_argument("--path", metavar="URL", default="/",
                            help="The page the visitor is looking at, with its query string "
                                 "if any, e.g. '/?utm_source=mail' (default: /).")
        parser.add_argument("--segment", metavar="SLUG", action="append", default=[],
                            dest="segments",
                            help="Treat the visitor as a member of this segment (repeatable). "
                                 "With this option the visitor is in no other segment.")
        parser.add_argument("--country", metavar="CC",
                            help="The visitor's two-letter country code, e.g. NL.")
        parser.add_argument("--device", choices=["mobile", "tablet", "desktop", "bot"],
                            help="The visitor's device type (default: desktop).")
        parser.add_argument("--language", metavar="CODE",
                            help="The language the visitor reads the shop in, e.g. nl "
                                 "(default: the site's LANGUAGE_CODE).")

    def handle(self, *args: Any, **options: Any) -> None:
        book = get_rulebook()
        facts = self.visitor_facts(options, book)
        keys = self.slot_keys(options.get("slot"), book)
        self.stdout.write(self.style.MIGRATE_HEADING(facts.pop("_title")))
        if not keys:
            self.stdout.write("  No slots are defined yet.")
        for key in keys:
            # A fresh context per slot: each slot is explained as if it were alone on the page.
            decision = choose(key, VisitorContext(None, **facts), explain=True)
            self.write_decision(key, decision, book)
        if options.get("user"):
            self.write_journeys(options["user"])

    def write_journeys(self, username: str) -> None:
        from personalization.journeys.scan import explain

        lines = explain(get_user_model()._default_manager.get_by_natural_key(username))
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Journey messages"))
        if not lines:
            self.stdout.write("  No journey is enabled.")
        for journey, due, why in lines:
            mark = self.style.SUCCESS("  → ") if due else "    "
            self.stdout.write(f"{mark}{journey.name} (priority {journey.priority}): {why}")

    # -- the visitor ----------------------------------------------------------------------
    def visitor_facts(self, options: dict[str, Any], book: RuleBook) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        if options.get("country"):
            facts["country"] = options["country"].upper()
        if options.get("device"):
            facts["device"] = options["device"]
        if options.get("language"):
            facts["language"] = options["language"].lower()
        if options["segments"]:
            facts["segments"] = self.segment_ids(options["segments"], book)
        if options.get("user"):
            facts.update(self.user_facts(options["user"]))
        else:
            vid = self.visitor_id(options.get("visitor"))
            facts.update(anonymous_facts(vid),
                         _title=f"Anonymous visitor {vid} on {options['path'] or '/'}")
        return on_page(facts, options["path"] or "/")

    def user_facts(self, username: str) -> dict[str, Any]:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"No customer with the username '{username}'.") from None
        facts = customer_facts(user)
        return {**facts, "_title": f"Customer {username} (visitor {facts['state'].vid})"}

    @staticmethod
    def visitor_id(raw: str | None) -> str:
        """The given id, or a new visitor's (outside the global holdout)."""
        if not raw:
            return new_visitor_id()
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            raise CommandError(f"'{raw}' is not a visitor id (a UUID such as "
                               f"{uuid.UUID(int=1)}).") from None

    @staticmethod
    def segment_ids(slugs: list[str], book: RuleBook) -> set[int]:
        by_slug = {s.slug: s.id for s in book.segments.values()}
        unknown = [s for s in slugs if s not in by_slug]
        if unknown:
            raise CommandError(f"Unknown segment: {', '.join(unknown)}. Known segments: "
                               f"{', '.join(sorted(by_slug)) or 'none'}.")
        return {by_slug[s] for s in slugs}

    @staticmethod
    def slot_keys(slot: str | None, book: RuleBook) -> list[str]:
        if slot is None:
            return sorted(book.slots)
        if slot not in book.slots:
            raise CommandError(f"Unknown slot '{slot}'. Known slots: "
                               f"{', '.join(sorted(book.slots)) or 'none'}.")
        return [slot]

    # -- the answer -----------------------------------------------------------------------
    def write_decision(self, key: str, decision: Decision, book: RuleBook) -> None:
        slot = book.slots.get(key)
        title = key
        if slot is not None:
            title += f" ({slot.name}, {slot.kind})" if slot.name != key else f" ({slot.kind})"
        self.stdout.write("")
        self.stdout.write(self.style.HTTP_INFO(f"Slot {title}"))
        self.stdout.write(f"  Shows: {outcome(decision)}")
        self.stdout.write("  Why:")
        for reason in decision.reasons:
            self.stdout.write(f"    - {reason}")

