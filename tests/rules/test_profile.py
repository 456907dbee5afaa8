"""Profile rules: customer group, affinity, temperature, segments, flags."""

from decimal import Decimal

from personalization.rules import (
    CategoryAffinityRule,
    CustomerGroupRule,
    InSegmentRule,
    TemperatureRule,
    WaffleFlagRule,
)
from tests.rules.helpers import ctx, customer


def test_customer_group_affinity_temperature_segment_flag():
    b2b = ctx(profile=customer(customer_group="farm", is_b2b=True))
    assert CustomerGroupRule(groups=["farm"]).matches(b2b)
    assert CustomerGroupRule(business="b2b").matches(b2b)
    assert not CustomerGroupRule(business="b2c").matches(b2b)
    assert CategoryAffinityRule(category_ids=["3"], min_share=50).matches(
        ctx(category_affinity={3: 0.6, 4: 0.4}))
    assert not CategoryAffinityRule(category_ids=["4"], min_share=50).matches(
        ctx(category_affinity={3: 0.6, 4: 0.4}))
    assert TemperatureRule(minimum=Decimal("25")).matches(ctx(temperature=28.0))
    assert not TemperatureRule(minimum=Decimal("25")).matches(ctx(temperature=None))
    assert InSegmentRule(other_id=4).matches(ctx(segments={4}))
    assert WaffleFlagRule(flag="beta").matches(ctx(flags={"beta"}))
    assert not WaffleFlagRule(flag="beta").matches(ctx(flags=set()))
