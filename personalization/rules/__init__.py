"""Rule types, one small class each; importing this package registers them all."""

from personalization.rules.base import Rule, rule_types
from personalization.rules.commerce import (
    AverageOrderValueRule,
    CartAbandonedRule,
    CartContainsRule,
    CartValueRule,
    DaysSinceLastOrderRule,
    OrderCountRule,
    PurchasedRule,
    RFMScoreRule,
    TotalSpentRule,
    UsedDiscountCodeRule,
)
from personalization.rules.context import RuleContext
from personalization.rules.profile import (
    CategoryAffinityRule,
    CustomerGroupRule,
    InSegmentRule,
    TemperatureRule,
    WaffleFlagRule,
    WeatherRule,
)
from personalization.rules.request import (
    CountryRule,
    CurrentCategoryRule,
    DeviceRule,
    LanguageRule,
    LoggedInRule,
    PathRule,
    QueryParameterRule,
    ReferrerClassRule,
    ReferrerPatternRule,
    UTMRule,
    VisitCountRule,
)
from personalization.rules.time import DateRangeRule, TimeOfDayRule, WeekdayRule

__all__ = [
    "AverageOrderValueRule", "CartAbandonedRule", "CartContainsRule", "CartValueRule",
    "CategoryAffinityRule", "CountryRule", "CurrentCategoryRule", "CustomerGroupRule",
    "DateRangeRule", "DaysSinceLastOrderRule", "DeviceRule", "InSegmentRule", "LanguageRule",
    "LoggedInRule", "OrderCountRule", "PathRule", "PurchasedRule", "QueryParameterRule",
    "RFMScoreRule", "ReferrerClassRule", "ReferrerPatternRule", "Rule", "RuleContext",
    "TemperatureRule",
    "WeatherRule",
    "TimeOfDayRule", "TotalSpentRule", "UTMRule", "UsedDiscountCodeRule", "VisitCountRule",
    "WaffleFlagRule", "WeekdayRule", "rule_types",
]
