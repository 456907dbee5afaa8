"""Every rule type: it exists, explains itself, checks its input, names its consent."""


import pytest
from django.core.exceptions import ValidationError

from personalization.rules import (
    CartContainsRule,
    CartValueRule,
    CategoryAffinityRule,
    CountryRule,
    PathRule,
    PurchasedRule,
    rule_types,
)


def test_every_rule_type_from_the_design_exists():
    names = {cls.__name__ for cls in rule_types()}
    assert len(names) >= 29
    assert {"LoggedInRule", "CartAbandonedRule", "RFMScoreRule", "WaffleFlagRule",
            "TemperatureRule", "InSegmentRule", "CategoryAffinityRule"} <= names


@pytest.mark.parametrize("cls", rule_types(), ids=lambda c: c.__name__)
def test_every_rule_explains_itself_in_words(cls):
    assert cls.__doc__, "the docstring is the rule's contract"
    assert str(cls._meta.verbose_name)


def test_regex_is_validated_and_bounded():
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        PathRule(pattern="(unclosed", segment_id=1).full_clean(exclude=["segment"])
    with pytest.raises(ValidationError, match="too long"):
        PathRule(pattern="a" * 300, segment_id=1).full_clean(exclude=["segment"])


def test_empty_any_of_list_is_rejected():
    with pytest.raises(ValidationError):
        CountryRule(countries=[]).full_clean(exclude=["segment"])
    with pytest.raises(ValidationError):
        CartContainsRule().clean()


def test_personal_data_rules_declare_their_consent():
    assert PurchasedRule.consent_purpose == "personalization"
    assert CategoryAffinityRule.consent_purpose == "personalization"
    assert CountryRule.consent_purpose is None
    assert CartValueRule.consent_purpose is None
