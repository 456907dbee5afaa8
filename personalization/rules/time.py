"""Rules on the clock, in the store's time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from personalization.fields import WEEKDAY_CHOICES, ListField
from personalization.rules.base import Rule

if TYPE_CHECKING:
    from personalization.rules.context import RuleContext


class TimeOfDayRule(Rule):
    """Matches between two times of day; a window may wrap midnight (22:00–02:00)."""

    start = models.TimeField(_("from"), help_text=_("Store time, e.g. 17:00."))
    end = models.TimeField(_("until"), help_text=_("Store time, e.g. 21:00 (exclusive)."))

    family = _("Time")

    class Meta:
        verbose_name = _("time of day")
        verbose_name_plural = _("time-of-day rules")

    def clean(self):
        if self.start is not None and self.start == self.end:
            raise ValidationError({"end": _("The window is empty: start and end are equal.")})

    def matches(self, ctx: RuleContext) -> bool:
        now = ctx.now.time()
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def describe(self):
        return str(_("between %(a)s and %(b)s") % {
            "a": self.start.strftime("%H:%M"), "b": self.end.strftime("%H:%M")})


class WeekdayRule(Rule):
    """Matches on the given days of the week."""

    weekdays = ListField(_("weekdays"), item_choices=WEEKDAY_CHOICES)

    family = _("Time")

    class Meta:
        verbose_name = _("weekday")
        verbose_name_plural = _("weekday rules")

    def matches(self, ctx: RuleContext) -> bool:
        return str(ctx.now.weekday()) in self.weekdays

    def describe(self):
        names = dict(WEEKDAY_CHOICES)
        return str(_("on %(days)s") % {"days": ", ".join(str(names[d]) for d in self.weekdays)})


class DateRangeRule(Rule):
    """Matches between two dates (inclusive), e.g. a holiday season."""

    start_date = models.DateField(_("first day"), null=True, blank=True)
    end_date = models.DateField(_("last day"), null=True, blank=True)

    family = _("Time")

    class Meta:
        verbose_name = _("date range")
        verbose_name_plural = _("date-range rules")

    def clean(self):
        if self.start_date is None and self.end_date is None:
            raise ValidationError(_("Give a first day, a last day or both."))
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day is before the first day.")})

    def matches(self, ctx: RuleContext) -> bool:
        today = ctx.now.date()
        return (self.start_date is None or today >= self.start_date) and (
            self.end_date is None or today <= self.end_date
        )

    def describe(self):
        return str(_("date %(a)s – %(b)s") % {"a": self.start_date or "…",
                                              "b": self.end_date or "…"})
