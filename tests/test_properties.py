"""Properties that must hold for any input (Hypothesis): the cookie codecs and preview tokens
never raise on what a visitor sends, and no request, whatever its path, query, headers and
cookies, breaks a personalized page of the seeded demo shop."""

from __future__ import annotations

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization.engine.cookies import CAPS_SALT, STATE_SALT, Caps, VisitorState
from personalization.privacy.consent import ConsentState
from personalization.touchpoints import preview

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=4),
    max_leaves=12)
COOKIE_TEXT = st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                    exclude_characters=';,"\\'), max_size=200)


@given(st.text(max_size=300))
def test_any_text_as_a_cookie_reads_as_a_cookie_or_none(raw):
    assert isinstance(VisitorState.loads(raw), VisitorState)
    assert isinstance(Caps.loads(raw), Caps)
    state = ConsentState.loads(raw)
    assert state is None or isinstance(state, ConsentState)


@given(JSON)
def test_any_signed_payload_reads_as_a_cookie_or_none(payload):
    """Even a payload signed with the right key (a leaked or public demo key)."""
    assert isinstance(VisitorState.loads(signing.dumps(payload, salt=STATE_SALT)), VisitorState)
    assert isinstance(Caps.loads(signing.dumps(payload, salt=CAPS_SALT)), Caps)


@given(st.uuids(), st.integers(1, 10_000), st.dictionaries(
    st.sampled_from(["source", "medium", "campaign"]), st.text(max_size=30), max_size=3))
def test_a_visitor_cookie_reads_back_as_written(vid, visits, touch):
    state = VisitorState(vid=str(vid), visits=visits, first_touch=touch)
    again = VisitorState.loads(state.dumps())
    assert (again.vid, again.visits, again.first_touch) == (str(vid), visits, touch)


@given(st.text(max_size=300), JSON)
def test_preview_tokens_never_raise(raw, payload):
    assert preview.unsign(raw) is None or isinstance(preview.unsign(raw), preview.Target)
    signed = signing.dumps(payload, salt=preview.SALT, compress=True)
    assert preview.unsign(signed) == preview.Target.from_payload(payload)


@given(st.one_of(st.builds(preview.Target, segment=st.text(min_size=1, max_size=40)),
                 st.builds(preview.Target, user_id=st.integers(1, 2**31))))
def test_a_preview_token_names_its_target(target):
    assert preview.unsign(preview.sign(target)) == target


PAGES = ["/", "/c/cats/", "/c/pizzas/", "/p/pizza-margherita/", "/search/", "/cart/",
         "/checkout/", "/orders/", "/pz/privacy/", "/d/pets/"]
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=120)


@pytest.mark.django_db
def test_no_request_breaks_a_personalized_page():
    call_command("seed_demo", customers=20, history=False, stdout=open("/dev/null", "w"))
    for page in ("/", "/c/cats/", "/c/pizzas/", "/p/pizza-margherita/", "/d/pets/"):
        assert Client().get(page).status_code == 200  # real pages, not only 404s

    @settings(max_examples=120, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(page=st.sampled_from(PAGES), extra=st.text(max_size=20),
           query=st.dictionaries(st.sampled_from(["utm_source", "utm_medium", "utm_campaign",
                                                  "q", "code", "page", "country"]),
                                 st.text(max_size=60), max_size=4),
           agent=HEADER_TEXT, language=HEADER_TEXT, referrer=HEADER_TEXT,
           country=st.text(max_size=4), cookies=st.dictionaries(
               st.sampled_from(["pz_vid", "pz_consent", "pz_caps", "sessionid"]),
               COOKIE_TEXT, max_size=4),
           persona=st.sampled_from([None, "anna", "jan", "lisa", "eva"]))
    def check(page, extra, query, agent, language, referrer, country, cookies, persona):
        client = Client()
        if persona:
            client.login(username=persona, password="demo")
        for name, value in cookies.items():
            client.cookies[name] = value
        response = client.get(page + extra, query, HTTP_USER_AGENT=agent,
                              HTTP_ACCEPT_LANGUAGE=language, HTTP_REFERER=referrer,
                              HTTP_CF_IPCOUNTRY=country)
        assert response.status_code < 500, (page + extra, query)

    check()
