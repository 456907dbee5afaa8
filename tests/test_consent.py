"""Consent: the banner, the records, and what each purpose gates (one place: has_consent)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import signing

from personalization.engine import rulebook
from personalization.measurement.events import flush_events
from personalization.models import ConsentRecord, Event, VisitorProfile
from personalization.privacy.consent import COOKIE_SALT, state_from_records
from personalization.rules import CountryRule, LoggedInRule, OrderCountRule
from personalization.testing import give_consent, make_context
from tests.factories import (
    CampaignFactory,
    ConsentRecordFactory,
    OrderFactory,
    SegmentFactory,
    SlotFactory,
    TextVariantFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]
PAGE = "/_pz/slots/"
CONSENT = "/pz/privacy/"


def consent_cookie(response):
    return signing.loads(response.cookies["pz_consent"].value, salt=COOKIE_SALT)


def test_banner_on_a_first_visit_with_equally_easy_choices(client):
    html = client.get("/").content.decode()
    assert 'aria-labelledby="pz-consent-title"' in html
    for action, label in (("accept_all", "Accept all"), ("reject_all", "Reject all"),
                          ("save", "Save my choices")):
        assert f'value="{action}" class="pz-consent__button">{label}</button>' in html
    assert html.count('class="pz-consent__button"') == 3  # same markup, same weight
    assert 'name="csrfmiddlewaretoken"' in html  # a plain form: works without JavaScript
    assert "Privacy choices" in html  # reopen at any time


def test_a_dutch_visitor_reads_the_shipped_purposes_in_dutch(client):
    """The shipped purposes' texts are translated; one the merchant rewrote is shown as he
    wrote it, in any language."""
    from personalization.models import ConsentPurpose

    ConsentPurpose.objects.filter(key="marketing").update(name="Nieuwsbrief en aanbiedingen")
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "<strong>Noodzakelijk</strong>" in html and "<strong>Analyse</strong>" in html
    assert "Je winkelwagen, je login" in html and "Your cart, your login" not in html
    assert "<strong>Nieuwsbrief en aanbiedingen</strong>" in html
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<strong>Necessary</strong>" in english
    assert "<strong>Nieuwsbrief en aanbiedingen</strong>" in english
    api = client.get("/pz/api/consent/", HTTP_ACCEPT_LANGUAGE="nl").json()
    assert [p["name"] for p in api["purposes"]][:3] == [
        "Noodzakelijk", "Personalisatie", "Analyse"]


def test_choices_are_recorded_and_the_banner_goes_away(client):
    response = client.post(CONSENT, {"action": "save", "purpose": ["analytics"],
                                     "next": "/"})
    assert response.status_code == 302
    assert consent_cookie(response)["p"] == {"personalization": 0, "analytics": 1,
                                             "marketing": 0}
    records = {r.purpose: r.granted for r in ConsentRecord.objects.all()}
    assert records == {"personalization": False, "analytics": True, "marketing": False}
    assert ConsentRecord.objects.filter(source="banner", policy_version="1").count() == 3
    assert 'aria-labelledby="pz-consent-title"' not in client.get("/").content.decode()


def test_consent_post_needs_csrf():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(CONSENT, {"action": "accept_all"}).status_code == 403
    assert not ConsentRecord.objects.exists()


def test_records_are_append_only():
    record = ConsentRecordFactory(purpose="analytics", granted=True,
                                  policy_version="1", source="banner")
    record.granted = False
    with pytest.raises(ValueError, match="append-only"):
        record.save()


def test_a_new_policy_version_asks_again(client, settings):
    client.post(CONSENT, {"action": "accept_all"})
    assert 'pz-consent-title' not in client.get("/").content.decode()
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_POLICY_VERSION": "2"}
    assert 'pz-consent-title' in client.get("/").content.decode()


def test_no_visitor_cookie_before_consent_and_none_after_withdrawal(client):
    response = client.get(PAGE)
    assert "pz_vid" not in response.cookies
    response = client.post(CONSENT, {"action": "accept_all"}, follow=True)
    assert client.cookies.get("pz_vid")  # set once a purpose that needs it is granted
    client.post(CONSENT, {"action": "reject_all"})
    response = client.get(PAGE)  # withdrawal takes effect on the next request
    assert response.cookies["pz_vid"].value == ""  # deleted


def test_without_personalization_consent_history_rules_do_not_match_and_no_profile(client):
    User = get_user_model()
    eva = User.objects.create_user("eva", password="pw", first_name="Eva")
    OrderFactory(user=eva, total=Decimal("30"))
    OrderFactory(user=eva, total=Decimal("30"))
    loyal = SegmentFactory(slug="loyal", rules=[OrderCountRule(minimum=2)])
    nl = SegmentFactory(slug="nl", rules=[CountryRule(countries=["NL"])])
    CampaignFactory(slot=SlotFactory(key="hero"), name="Loyal", segments=(loyal,),
                    variants=("Thanks, loyal one",), priority=9)
    CampaignFactory(slot=SlotFactory(key="side"), name="Dutch", segments=(nl,),
                    variants=("Welkom",))
    greet = CampaignFactory(slot=SlotFactory(key="greeting", kind="text"), name="Hi", variants=())
    TextVariantFactory(campaign=greet, text="Hallo {{ first_name }}")
    give_consent(client, "analytics", user=eva)  # no personalization
    client.force_login(eva)
    html = client.get(PAGE, HTTP_CF_IPCOUNTRY="NL").content.decode()
    assert "Thanks, loyal one" not in html  # order history unused
    assert "Welkom" in html  # contextual personalization still works
    assert "Hallo Eva" not in html and "Welcome!" in html  # his name is personal data
    assert not VisitorProfile.objects.filter(user=eva).exists()  # no profile built
    give_consent(client, user=eva)  # now she allows it: effective on the next request
    html = client.get(PAGE, HTTP_CF_IPCOUNTRY="NL").content.decode()
    assert "Thanks, loyal one" in html and "Hallo Eva" in html


def test_reasons_name_the_consent_gap():
    from personalization.engine.decide import choose

    loyal = SegmentFactory(slug="loyal", rules=[OrderCountRule(minimum=2)])
    CampaignFactory(slot=SlotFactory(key="hero"), name="Loyal", segments=(loyal,))
    ctx = make_context(profile={"order_count": 5}, consents={"personalization": False})
    reasons = choose("hero", ctx).reasons
    assert any("skipped: no personalization consent" in r for r in reasons)


def test_without_analytics_consent_nothing_is_recorded(client):
    CampaignFactory(slot=SlotFactory(key="hero"), name="Everybody")
    give_consent(client, "personalization")
    client.get(PAGE)
    client.get(PAGE)
    assert flush_events() == 0 and not Event.objects.exists()
    give_consent(client, "analytics")
    client.get(PAGE)
    assert flush_events() == 1


def test_without_an_id_a_visitor_sees_the_first_variant_and_no_holdout(client):
    c = CampaignFactory(slot=SlotFactory(key="hero"), name="AB", variants=("First", "Second"),
                        weights=(1, 99), holdout_percent=50)
    for _ in range(3):
        html = client.__class__().get(PAGE).content.decode()
        assert "First" in html and "data-pz-control" not in html
    assert c.pk


def test_login_applies_the_recorded_choices_and_records_new_ones(client):
    User = get_user_model()
    anna = User.objects.create_user("anna", password="pw")
    client.post(CONSENT, {"action": "accept_all"})  # chosen before logging in
    response = client.post("/login/", {"username": "anna", "password": "pw"})
    assert response.status_code == 302
    assert state_from_records(anna).allowed >= {"personalization", "analytics"}
    other = client.__class__()  # another browser, nothing chosen there
    response = other.post("/login/", {"username": "anna", "password": "pw"})
    assert consent_cookie(response)["p"]["personalization"] == 1


def test_marketing_gate_reads_the_recorded_choice():
    from personalization.privacy.consent import may_send_marketing, record_choices

    bram = get_user_model().objects.create_user("bram")
    assert not may_send_marketing(bram)
    record_choices(choices={"marketing": True}, source="signup", user=bram)
    assert may_send_marketing(bram)


def test_logged_in_rule_is_contextual_and_needs_no_consent(client):
    members = SegmentFactory(slug="members", rules=[LoggedInRule()])
    CampaignFactory(slot=SlotFactory(key="hero"), name="Members", segments=(members,),
                    variants=("Members",))
    client.force_login(get_user_model().objects.create_user("x"))
    assert "Members" in client.get(PAGE).content.decode()


def test_demo_personas_consented_at_sign_up_and_eva_declined(client):
    from django.core.management import call_command

    call_command("seed_demo", customers=5, history=False, stdout=open("/dev/null", "w"))
    rulebook.invalidate()
    client.post("/login/", {"username": "anna", "password": "demo"})
    assert "Hallo Anna!" in client.get("/").content.decode()
    eva = client.__class__()
    eva.post("/login/", {"username": "eva", "password": "demo"})
    html = eva.get("/").content.decode()
    assert "Hallo Eva" not in html and "Welcome back!" in html
    assert 'pz-consent-title' not in html  # she chose at sign-up: no banner
    assert not VisitorProfile.objects.filter(user__username="eva").exists()


def test_a_forged_consent_cookie_grants_nothing(client):
    forged = signing.dumps({"v": "1", "p": {"personalization": 1, "analytics": 1}, "t": 0},
                           salt="not the consent salt")
    client.cookies["pz_consent"] = forged
    CampaignFactory(slot=SlotFactory(key="hero"), name="Everybody")
    response = client.get(PAGE)
    assert "pz_vid" not in response.cookies  # not remembered: the cookie was not trusted
    assert flush_events() == 0
    assert 'pz-consent-title' in client.get("/").content.decode()  # asked again


def test_another_customers_choice_never_applies_on_a_shared_browser(client):
    from personalization.privacy.consent import record_choices

    User = get_user_model()
    jan = User.objects.create_user("jan", password="pw", first_name="Jan")
    eva = User.objects.create_user("eva", password="pw", first_name="Eva")
    record_choices(choices={"personalization": True, "analytics": True}, source="signup",
                   user=jan)
    record_choices(choices={"personalization": False, "analytics": True}, source="signup",
                   user=eva)
    greet = CampaignFactory(slot=SlotFactory(key="greeting", kind="text"), name="Hi", variants=())
    TextVariantFactory(campaign=greet, text="Hallo {{ first_name }}")
    client.post("/login/", {"username": "jan", "password": "pw"})
    assert "Hallo Jan" in client.get(PAGE).content.decode()
    client.post("/logout/")
    client.post("/login/", {"username": "eva", "password": "pw"})
    html = client.get(PAGE).content.decode()
    assert "Hallo Eva" not in html  # jan's consent cookie did not carry over to her
    assert not state_from_records(eva).choices["personalization"]  # nor into her records
    client.force_login(jan)  # a session switch without a login form: still his own choice
    assert "Hallo Jan" in client.get(PAGE).content.decode()
