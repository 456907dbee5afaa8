"""The visitor context's facts, and the visitor cookie's state: visits, category entries,
and verification."""

import pytest
from django.core import signing

from personalization.engine.cookies import STATE_SALT, VisitorState


def test_category_counts_entries_not_every_page_inside_it():
    state = VisitorState(vid="00000000-0000-0000-0000-000000000001")
    for category in (3, 3, 3, 4, 3):
        state.record_view((category,))
    assert state.views == {"3": 2, "4": 1}


def test_state_survives_a_round_trip_and_later_changes_do_not_leak_into_it():
    state = VisitorState(vid="00000000-0000-0000-0000-000000000002")
    state.record_view((7,))
    raw = state.dumps()
    state.record_view((8,))  # changes after signing must not alter what raw means
    again = VisitorState.loads(raw)
    assert again.views == {"7": 1} and again.vid == state.vid


def test_a_remembered_cookie_does_not_make_a_tampered_one_valid():
    raw = VisitorState(vid="00000000-0000-0000-0000-000000000003").dumps()
    assert VisitorState.loads(raw).vid.endswith("3")
    tampered = raw[:-2] + ("AA" if not raw.endswith("AA") else "BB")
    fresh = VisitorState.loads(tampered)
    assert fresh.is_new and not fresh.vid.endswith("000000000003")
    # Signed with the site's key but for another purpose (salt): not a visitor cookie.
    forged = signing.dumps({"v": "00000000-0000-0000-0000-000000000009"},
                           salt="personalization.caps")
    assert VisitorState.loads(forged).is_new
    genuine = signing.dumps({"v": "00000000-0000-0000-0000-000000000009"}, salt=STATE_SALT)
    assert not VisitorState.loads(genuine).is_new


def test_every_fact_a_rule_may_read_is_a_fact_of_the_context_and_the_api_checks_names():
    """The facts' names are the rules' vocabulary: the context has each one the RuleContext
    protocol lists, and a misspelt fact is an error rather than a silent None."""
    from personalization.engine.context import VisitorContext
    from personalization.rules import RuleContext
    from personalization.testing import make_context

    read_by_rules = {name for name in vars(RuleContext) if not name.startswith("_")} - {
        "has_consent", "flag_active", "in_segment", "answer", "rule_error"}
    assert [name for name in sorted(read_by_rules) if not VisitorContext.is_fact(name)] == []
    ctx = make_context(country="NL")
    with pytest.raises(TypeError):
        make_context(contry="NL")
    with pytest.raises(AttributeError):
        ctx.set_fact("contry", "BE")
    with pytest.raises(AttributeError):
        ctx.contry  # noqa: B018


def test_a_fact_is_worked_out_once_and_a_given_fact_outlives_forgetting():
    from personalization.engine.context import VisitorContext

    ctx = VisitorContext(None, country="NL")
    assert not ctx.is_loaded("path")
    assert ctx.path == "/" and ctx.is_loaded("path")
    ctx.set_fact("path", "/cart/")
    assert ctx.path == "/cart/"
    ctx.forget_facts("path", "country")
    assert ctx.path == "/"  # worked out again
    assert ctx.country == "NL"  # as given


@pytest.mark.django_db
def test_rules_are_asked_again_after_a_fact_changes_on_the_request():
    """A login or a consent given in the middle of a request changes facts: segments
    decided before it must not answer for the new facts."""
    from personalization.engine import rulebook
    from personalization.rules import CountryRule
    from personalization.testing import make_context
    from tests.factories import SegmentFactory

    dutch = SegmentFactory(slug="dutch", rules=[CountryRule(countries=["NL"])])
    ctx = make_context(rulebook=rulebook.build("facts"), country="NL")
    assert ctx.in_segment(dutch.pk)
    ctx.set_fact("country", "DE")
    assert not ctx.in_segment(dutch.pk)
    ctx.forget_facts("country")  # as given: NL again
    assert ctx.in_segment(dutch.pk)
