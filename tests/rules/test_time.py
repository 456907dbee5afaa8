"""Time rules read the store's clock from the context."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError

from personalization.rules import (
    DateRangeRule,
    TimeOfDayRule,
    WeekdayRule,
)
from tests.rules.helpers import NOW, ctx


def test_time_rules_use_the_store_clock():
    evening = TimeOfDayRule(start=time(17), end=time(21))
    night = TimeOfDayRule(start=time(22), end=time(2))
    assert evening.matches(ctx()) and not night.matches(ctx())
    assert night.matches(ctx(now=NOW.replace(hour=1)))
    assert WeekdayRule(weekdays=["0"]).matches(ctx())  # Monday
    assert not WeekdayRule(weekdays=["5", "6"]).matches(ctx())
    assert DateRangeRule(start_date=NOW.date(), end_date=NOW.date()).matches(ctx())
    with pytest.raises(ValidationError):
        DateRangeRule(start_date=NOW.date(), end_date=NOW.date() - timedelta(days=1)).clean()

