"""Journeys as the customer and the merchant meet them: the seeded demo's abandoned cart and
win-back e-mails, once each, with consent, one-click unsubscribe, quiet hours, priority and
a cart that turns into an order before its message is due."""

import re
from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from demo_shop.orders.models import SavedCart
from personalization.datarights.subjects import erase_subject, export_subject
from personalization.journeys.messages import send_journey_message
from personalization.journeys.scan import scan
from personalization.models import ConsentRecord, Journey, JourneyMessage
from personalization.privacy.consent import may_send_marketing
from tests.factories import (
    ConsentRecordFactory,
    JourneyFactory,
    SegmentFactory,
    SegmentMembershipFactory,
)

pytestmark = pytest.mark.django_db
SHOP = "https://shop.example"


@pytest.fixture
def demo(settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "SITE_URL": SHOP}
    call_command("seed_demo", customers=20, history=False, verbosity=0)


def user(username):
    return get_user_model().objects.get(username=username)


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_anna_gets_her_cart_and_lisa_her_code_once_each(demo):
    first = scan()
    assert first.queued == {"Your cart is waiting": 1, "We miss you": 1, "Welcome": 0}
    [cart] = sent_to("anna@example.com")
    [back] = sent_to("lisa@example.com")
    assert cart.subject == "Anna, je winkelwagen wacht"  # she is Dutch: the nl message
    assert back.subject == "We missen je, Lisa: 15% korting"  # Dutch too: every language
    code = JourneyMessage.objects.get(user__username="lisa").code
    assert code.startswith("BACK") and code in back.body

    # The plain text has the cart's lines and the links spelled out; the HTML alternative
    # has them as a table with inline styles and absolute image addresses.
    assert "Dit ligt nog in je winkelwagen" in cart.body
    assert "Afmelden" in cart.body or "Uitschrijven" in cart.body  # the frame in Dutch too
    assert '<html lang="nl">' in cart.alternatives[0][0]
    assert "- 1 × Pizza Margherita" in cart.body and f"{SHOP}/pz/journeys/cart/" in cart.body
    html, kind = cart.alternatives[0]
    assert kind == "text/html" and "<style" not in html and "<script" not in html
    assert re.search(r'<img src="https://shop\.example/img/pizza-margherita\.svg"', html)
    assert 'style="' in html and "Pizza Margherita" in html
    assert "1 × €\xa09,50" in html  # her prices as written in Dutch (a no-break space)
    # RFC 8058: one click in the mail client unsubscribes.
    assert cart.extra_headers["List-Unsubscribe"].startswith(f"<{SHOP}/pz/journeys/unsub")
    assert cart.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Scanning again, or the same task delivered twice, sends nothing more.
    assert scan().queued == {"Your cart is waiting": 0, "We miss you": 0, "Welcome": 0}
    for message in JourneyMessage.objects.all():
        assert send_journey_message(message.pk) == "sent"
    assert len(mail.outbox) == 2


def test_only_customers_who_allowed_offers_get_anything(demo):
    tom = user("tom")  # he allowed personalization and analytics, not marketing
    SavedCart.objects.create(user=tom, items={"1": 1},
                             updated_at=timezone.now() - timedelta(hours=3))
    scan()
    assert not JourneyMessage.objects.filter(user=tom).exists()
    assert sent_to("tom@example.com") == []


def test_a_cart_ordered_before_its_message_is_due_cancels_it(demo):
    journey = Journey.objects.get(trigger="cart")
    now = timezone.localtime()
    journey.quiet_hours_start = (now - timedelta(minutes=5)).time()
    journey.quiet_hours_end = (now + timedelta(hours=1)).time().replace(second=0,
                                                                         microsecond=0)
    journey.save()
    scan()
    waiting = JourneyMessage.objects.get(journey=journey)
    assert waiting.status == "queued" and waiting.send_after > timezone.now()
    assert sent_to("anna@example.com") == []  # quiet hours: not yet
    SavedCart.objects.filter(user__username="anna").delete()  # she ordered
    JourneyMessage.objects.filter(pk=waiting.pk).update(send_after=timezone.now())
    assert send_journey_message(waiting.pk) == "cancelled"
    assert sent_to("anna@example.com") == []
    assert "ordered or changed" in JourneyMessage.objects.get(pk=waiting.pk).last_error


def test_a_message_due_in_quiet_hours_goes_out_after_them(demo):
    journey = Journey.objects.get(trigger="lapsed")
    journey.quiet_hours_start, journey.quiet_hours_end = time(0, 0), time(23, 59)
    journey.save()
    scan()
    message = JourneyMessage.objects.get(journey=journey)
    assert message.send_after > timezone.now() and sent_to("lisa@example.com") == []
    assert send_journey_message(message.pk) == "queued"  # delivered early: waits
    JourneyMessage.objects.filter(pk=message.pk).update(send_after=timezone.now()
                                                        - timedelta(minutes=5))
    call_command("run_journeys", verbosity=0)  # the relay hands it to a worker again
    assert len(sent_to("lisa@example.com")) == 1


def test_the_highest_priority_message_wins_one_per_period(demo):
    lisa = user("lisa")
    SavedCart.objects.create(user=lisa, items={"1": 2},
                             updated_at=timezone.now() - timedelta(hours=5))
    scan()  # she is due for both: her cart (priority 20) wins over win-back (10)
    assert list(JourneyMessage.objects.filter(user=lisa).values_list(
        "journey__name", flat=True)) == ["Your cart is waiting"]
    assert [m.subject for m in sent_to("lisa@example.com")] == ["Lisa, je winkelwagen wacht"]


def test_one_click_unsubscribe_records_the_withdrawal(demo):
    scan()
    [message] = sent_to("anna@example.com")
    link = message.extra_headers["List-Unsubscribe"].strip("<>").replace(SHOP, "")
    client = Client(enforce_csrf_checks=True)
    assert link.endswith("?lang=nl")  # her message is Dutch: so is the page it links to
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")  # whatever her browser says
    assert page.status_code == 200 and "Afmelden voor aanbiedingen?" in page.content.decode()
    assert '<html lang="nl">' in page.content.decode()
    assert may_send_marketing(user("anna"))  # opening the link changes nothing
    # The mail client's one-click POST carries no CSRF token; the signed link is enough.
    done = client.post(link, "List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "Je bent afgemeld" in done.content.decode()
    assert not may_send_marketing(user("anna"))
    record = ConsentRecord.objects.filter(user__username="anna").latest("created_at")
    assert (record.purpose, record.granted, record.source) == ("marketing", False,
                                                                "unsubscribe")
    assert client.post(link.replace("/?lang=nl", "xxxx/")).status_code == 404  # forged
    english = client.get(link.replace("lang=nl", "lang=en"))
    assert "Unsubscribe from offers?" in english.content.decode()
    assert "Unsubscribe from offers?" in client.get(link.replace("lang=nl", "lang=xx"),
                                                    HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_cart_link_restores_the_cart_on_another_device(demo):
    scan()
    [message] = sent_to("anna@example.com")
    link = re.search(rf"{SHOP}(/pz/journeys/cart/[^/\s]+/)", message.body).group(1)
    phone = Client()  # not logged in, another browser
    cart = phone.get(link, follow=True)
    assert cart.status_code == 200
    assert "Pizza Margherita" in cart.content.decode()
    phone.get(link)  # opened again: her cart, not twice her cart
    assert phone.session["cart"] == SavedCart.objects.get(user__username="anna").items
    broken = Client().get(link[:-6] + "xxxxx/", HTTP_ACCEPT_LANGUAGE="nl")
    assert broken.status_code == 404 and "Deze link is niet (meer) geldig" in \
        broken.content.decode()


def test_a_customer_without_an_address_is_skipped_not_retried(demo, caplog):
    get_user_model().objects.filter(username="lisa").update(email="")
    scan()
    message = JourneyMessage.objects.get(user__username="lisa")
    assert message.status == "skipped" and "no e-mail address" in message.last_error
    assert send_journey_message(message.pk) == "skipped"
    assert "no e-mail address" in caplog.text


def test_erasure_removes_his_messages_and_export_lists_them(demo):
    scan()
    lisa = user("lisa")
    [exported] = export_subject(user=lisa)["journey_messages"]
    assert exported["journey"] == "We miss you" and exported["status"] == "sent"
    assert erase_subject(user=lisa)["journey_messages"] == 1
    assert not JourneyMessage.objects.filter(user=lisa).exists()


def test_a_holdout_gets_no_message_but_a_row_to_compare(demo):
    Journey.objects.exclude(trigger="lapsed").update(enabled=False)
    Journey.objects.filter(trigger="lapsed").update(holdout_percent=50, lapsed_days=1,
                                                    min_orders=1)
    customers = get_user_model().objects.filter(is_staff=False)
    grant = [ConsentRecord(user=u, purpose="marketing", granted=True, policy_version="1",
                           source="signup", subject=f"u{u.pk}") for u in customers]
    ConsentRecord.objects.bulk_create(grant)
    scan()
    rows = JourneyMessage.objects.filter(journey__trigger="lapsed")
    held = rows.filter(control=True)
    assert rows.count() >= 10  # every customer with an order, marketing allowed
    assert 0.2 < held.count() / rows.count() < 0.8
    assert rows.filter(control=False, status="sent").exists()
    assert all(m.status == "held_out" for m in held)
    assert not any(sent_to(m.user.email) for m in held)


def journey_form(**changes):
    data = {"name": "Cart", "enabled": "on", "priority": "0", "trigger": "cart", "hours": "4",
            "lapsed_days": "60", "min_orders": "2", "channel": "email",
            "holdout_percent": "10", "attribution_days": "7",
            "subject": "Hi {{ first_name }}",
            "body": "<p>Hello {{ first_name }}</p>{{ cart }}",
            "subject__nl": "Hoi {{ first_name }}",
            "body__nl": "<p>Hallo {{ first_name }}</p>{{ cart }}"}
    return {**data, **changes}


def test_the_admin_refuses_broken_or_unsafe_texts_with_a_message(admin_client):
    url = "/admin/personalization/journey/add/"
    cases = {
        "<p>Hi {{ frist_name }}</p>": "Unknown field(s): frist_name",
        "<p>Hi {{ first_name }</p>": "check the braces",
        "<p>Hi</p><script>alert(1)</script>": "Not allowed in a message: &lt;script&gt;",
        '<p onclick="x()">Hi</p>': "Attributes not allowed: onclick",
        '<a href="javascript:alert(1)">x</a>': "Links must be http",
    }
    for body, message in cases.items():
        for field in ("body", "body__nl"):  # the Dutch text is checked as the English
            page = admin_client.post(url, journey_form(**{field: body}))
            assert page.status_code == 200 and message in page.content.decode(), body
    for fields, message in (
            ({"subject": "Hi <b>you</b>"}, "A subject is plain text"),
            ({"subject": ""}, "An e-mail needs a subject"),
            ({"subject__nl": ""}, "An e-mail needs a subject"),
            ({"body__nl": ""}, "Give the text too, or no subject")):
        page = admin_client.post(url, journey_form(**fields))
        assert page.status_code == 200 and message in page.content.decode(), fields
    assert not Journey.objects.exists()
    for times, message in ((("22:00", ""), "Give both quiet-hour times, or neither."),
                           (("22:00", "22:00"), "must start and end at different times")):
        page = admin_client.post(url, journey_form(quiet_hours_start=times[0],
                                                   quiet_hours_end=times[1]))
        assert page.status_code == 200 and message in page.content.decode(), times
    segment_needed = admin_client.post(url, journey_form(trigger="segment"))
    assert "Choose the segment" in segment_needed.content.decode()
    saved = admin_client.post(url, journey_form())
    assert saved.status_code == 302
    journey = Journey.objects.get()
    assert journey.in_language("nl-be") == ("Hoi {{ first_name }}",
                                            "<p>Hallo {{ first_name }}</p>{{ cart }}", "nl")
    assert journey.in_language("de").language == "en"  # no German: the site's language
    # For SMS the text is plain: HTML is not checked as e-mail markup, fields still are.
    sms = admin_client.post(url, journey_form(name="Text", channel="sms", **{
        "body": "Hi {{ first_name }}, your cart: {{ cart_link }}", "subject__nl": "",
        "body__nl": ""}))
    assert sms.status_code == 302


def test_the_report_compares_orders_after_the_message_with_the_held_out(demo, admin_client):
    from demo_shop.orders.models import Order
    from personalization.journeys.report import journey_report

    Journey.objects.exclude(trigger="lapsed").update(enabled=False)
    journey = Journey.objects.get(trigger="lapsed")
    Journey.objects.filter(pk=journey.pk).update(holdout_percent=50, lapsed_days=1,
                                                 min_orders=1, attribution_days=7)
    ConsentRecord.objects.bulk_create([
        ConsentRecord(user=u, purpose="marketing", granted=True, policy_version="1",
                      source="signup", subject=f"u{u.pk}")
        for u in get_user_model().objects.filter(is_staff=False)])
    scan()
    journey.refresh_from_db()
    due_at = timezone.now() - timedelta(days=10)  # the window of every row has ended
    JourneyMessage.objects.filter(journey=journey).update(created_at=due_at)
    rows = list(JourneyMessage.objects.filter(journey=journey).order_by("pk"))
    # Every second customer orders 3 days after the message was due (in the window), one
    # more orders 9 days after (outside it: not counted).
    for i, row in enumerate(rows):
        if i % 2 == 0:
            Order.objects.create(number=f"J-{i}", user_id=row.user_id, subtotal=20 + i,
                                 total=20 + i, created_at=due_at + timedelta(days=3))
    Order.objects.create(number="J-late", user_id=rows[1].user_id, subtotal=99, total=99,
                         created_at=due_at + timedelta(days=9))
    expected = {True: [0, 0, 0.0], False: [0, 0, 0.0]}  # rows, ordered, revenue
    for row in rows:  # counted one by one, as a merchant would from the order list
        window = Order.objects.placed().filter(
            user_id=row.user_id, created_at__gte=due_at,
            created_at__lt=due_at + timedelta(days=7))
        expected[row.control][0] += 1
        expected[row.control][1] += window.exists()
        expected[row.control][2] += float(sum(o.total for o in window))
    report = journey_report(journey)
    for arm, control in ((report.messaged, False), (report.held_out, True)):
        assert [arm.visitors, arm.converters, arm.revenue] == pytest.approx(expected[control])
    assert report.comparison is not None and report.verdict
    assert report.comparison.conversion.value == pytest.approx(
        expected[False][1] / expected[False][0] - expected[True][1] / expected[True][0])

    page = admin_client.get(f"/admin/personalization/journey/{journey.pk}/report/")
    text = page.content.decode()
    assert page.status_code == 200 and "Messaged" in text and "Held out" in text
    assert report.verdict in text
    listing = admin_client.get("/admin/personalization/journey/").content.decode()
    assert f"/admin/personalization/journey/{journey.pk}/report/" in listing


def test_explain_tells_which_message_he_would_get_and_why_not_the_others(demo):
    from io import StringIO

    def explain(username):
        out = StringIO()
        call_command("explain", user=username, stdout=out, no_color=True)
        return out.getvalue().split("Journey messages", 1)[1]

    lisa = explain("lisa")
    assert "→ We miss you (priority 10): due: triggered" in lisa
    assert "Your cart is waiting (priority 20): not triggered" in lisa
    assert "no consent to marketing messages" in explain("tom") or \
        "not triggered" in explain("tom")
    SavedCart.objects.create(user=user("lisa"), items={"1": 1},
                             updated_at=timezone.now() - timedelta(hours=3))
    both = explain("lisa")
    assert "→ Your cart is waiting (priority 20): due" in both
    assert "We miss you (priority 10): due, but “Your cart is waiting” has a higher" in both
    scan()
    assert "already got “Your cart is waiting”" in explain("lisa")



def test_a_welcome_after_the_first_order_and_a_message_on_entering_a_segment(demo):
    from demo_shop.orders.models import Order
    from personalization.models import Segment, SegmentMembership

    Journey.objects.exclude(trigger="welcome").update(enabled=False)
    newcomer = get_user_model().objects.create_user("nina", "nina@example.com", "x",
                                                    first_name="Nina")
    ConsentRecordFactory(user=newcomer, purpose="marketing", granted=True,
                         policy_version="1", source="signup", subject="nina")
    Order.objects.create(number="N-1", user=newcomer, subtotal=30, total=30,
                         created_at=timezone.now() - timedelta(hours=2))
    scan()
    assert [m.subject for m in sent_to("nina@example.com")] == [
        "Welcome to the shop, Nina"]
    Order.objects.create(number="N-2", user=newcomer, subtotal=30, total=30)
    scan()  # a second order is no second welcome
    assert len(sent_to("nina@example.com")) == 1

    vip = SegmentFactory(name="VIP", slug="vip", kind=Segment.Kind.COMPUTED)
    JourneyFactory(name="Welcome to VIP", enabled=True, trigger="segment",
                             segment=vip, hours=1, holdout_percent=0, priority=5,
                             subject="You are a VIP, {{ first_name }}",
                             body="<p>Hello {{ first_name }}</p>")
    member = SegmentMembershipFactory(segment=vip, user=user("lisa"))
    SegmentMembership.objects.filter(pk=member.pk).update(
        since=timezone.now() - timedelta(hours=3))
    scan()
    assert "You are a VIP, Lisa" in [m.subject for m in sent_to("lisa@example.com")]


def test_every_page_her_message_links_to_speaks_her_language(demo):
    scan()
    [back] = sent_to("lisa@example.com")  # Dutch: the win-back in Dutch, frame and all
    assert back.subject == "We missen je, Lisa: 15% korting"
    assert "We hebben je een tijd niet gezien" in back.body and "Afmelden" in back.body
    assert '<html lang="nl">' in back.alternatives[0][0]
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")  # a browser set to English
    shop = re.search(rf"{SHOP}(/pz/journeys/open/\S+)", back.body).group(1)
    assert "Afdelingen" in browser.get(shop, follow=True).content.decode()  # the home page
    [cart] = sent_to("anna@example.com")
    link = re.search(rf"{SHOP}(/pz/journeys/cart/\S+)", cart.body).group(1)
    assert "<h1>Je winkelwagen</h1>" in Client(HTTP_ACCEPT_LANGUAGE="en").get(
        link, follow=True).content.decode()
    product = re.search(r'href="https://shop\.example(/pz/journeys/open/[^"]+)"',
                        cart.alternatives[0][0]).group(1)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(product.replace("&amp;", "&"))
    assert page.status_code == 302 and page["Location"].startswith("/p/")
    # Only this site's pages: another host's address leads home.
    away = browser.get("/pz/journeys/open/?lang=nl&next=https://evil.example/")
    assert away.status_code == 302 and away["Location"] == "/"


def test_a_message_says_which_occurrence_it_is_about(demo, admin_client):
    from django.utils.formats import date_format

    from demo_shop.orders.models import Order

    scan()
    message = JourneyMessage.objects.get(user__username="lisa")
    last = Order.objects.filter(user__username="lisa").latest("created_at").created_at
    page = admin_client.get(f"/admin/personalization/journeymessage/{message.pk}/change/")
    text = page.content.decode()
    assert "no order since " + date_format(timezone.localtime(last), "DATE_FORMAT") in text
    assert "lapsed:" not in text


def test_the_merchant_runs_a_journey_now_and_sends_himself_a_test(demo, admin_client,
                                                                    admin_user):
    cart = Journey.objects.get(name="Your cart is waiting")
    done = admin_client.post(f"/admin/personalization/journey/{cart.pk}/run/", follow=True)
    assert "Your cart is waiting: 1 message due, handed over for sending; 0 customers held " \
           "out." in done.content.decode()
    assert [m.subject for m in sent_to("anna@example.com")] == ["Anna, je winkelwagen wacht"]
    assert admin_client.get(f"/admin/personalization/journey/{cart.pk}/run/"
                            ).status_code == 405
    Journey.objects.filter(pk=cart.pk).update(enabled=False)
    action = admin_client.post("/admin/personalization/journey/", {
        "action": "run_now", "_selected_action": [cart.pk]}, follow=True)
    assert "Disabled, so not run: Your cart is waiting." in action.content.decode()

    mail.outbox.clear()
    form = admin_client.get(f"/admin/personalization/journey/{cart.pk}/test/")
    assert form.status_code == 200 and "Nederlands" in form.content.decode()
    sent = admin_client.post(f"/admin/personalization/journey/{cart.pk}/test/",
                             {"language": "nl"}, follow=True)
    assert "A test message went to admin@example.com" in sent.content.decode()
    [test] = mail.outbox
    assert test.to == ["admin@example.com"]
    assert test.subject == "[Test] admin, je winkelwagen wacht"  # no first name: a stand-in
    assert "Dit ligt nog in je winkelwagen" in test.body and "- 1 × " in test.body  # sample
    assert "List-Unsubscribe" not in test.extra_headers
    assert JourneyMessage.objects.filter(user=admin_user).count() == 0  # in no report
    admin_user.email = ""
    admin_user.save()
    no_address = admin_client.post(f"/admin/personalization/journey/{cart.pk}/test/",
                                   {"language": "en"})
    assert "Your account has no e-mail address" in no_address.content.decode()


def test_a_journey_saved_disabled_says_so_and_offers_only_computed_segments(admin_client):
    from personalization.models import Segment

    SegmentFactory(name="Mobile visitors", slug="mobile", kind=Segment.Kind.LIVE)
    SegmentFactory(name="Big spenders", slug="big", kind=Segment.Kind.COMPUTED)
    page = admin_client.get("/admin/personalization/journey/add/").content.decode()
    assert "Big spenders" in page and "Mobile visitors" not in page
    data = journey_form()
    del data["enabled"]
    saved = admin_client.post("/admin/personalization/journey/add/", data, follow=True)
    assert "“Cart” is disabled: it sends nothing until you tick “enabled”" in \
        saved.content.decode()
    assert "disabled" in admin_client.get("/admin/personalization/journey/").content.decode()


def newcomer(name):
    """A customer who allowed offers and placed his first order two hours ago."""
    from demo_shop.orders.models import Order

    customer = get_user_model().objects.create_user(name, f"{name}@example.com", "x",
                                                    first_name=name.title())
    ConsentRecordFactory(user=customer, purpose="marketing", granted=True,
                         policy_version="1", source="signup", subject=name)
    Order.objects.create(number=f"N-{name}", user=customer, subtotal=30, total=30,
                         created_at=timezone.now() - timedelta(hours=2))
    return customer


def test_the_demo_sends_due_messages_by_itself_without_beat(demo, settings):
    # make demo: eager Celery, no beat; its pages run the journeys' scan once a minute.
    from django.core.cache import cache

    settings.DEMO_JOURNEY_CLOCK = 60
    cache.delete("demo:journey-clock")
    browser = Client()
    assert browser.get("/").status_code == 200
    assert [m.subject for m in sent_to("anna@example.com")] == ["Anna, je winkelwagen wacht"]
    assert len(sent_to("lisa@example.com")) == 1
    newcomer("nina")
    browser.get("/")  # within the minute: no second scan
    assert sent_to("nina@example.com") == []
    cache.delete("demo:journey-clock")  # a minute later
    browser.get("/")
    assert [m.subject for m in sent_to("nina@example.com")] == ["Welcome to the shop, Nina"]
    cache.delete("demo:journey-clock")
    newcomer("noor")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # with a broker, beat does it: no clock
    Client().get("/")
    assert sent_to("noor@example.com") == []


def test_run_now_and_a_test_message_need_the_change_permission(demo, client):
    from django.contrib.auth.models import Permission

    viewer = get_user_model().objects.create_user("viewer", "viewer@example.com", "x",
                                                  is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_journey"))
    client.force_login(viewer)
    cart = Journey.objects.get(name="Your cart is waiting")
    page = client.get(f"/admin/personalization/journey/{cart.pk}/change/").content.decode()
    assert "Run now" not in page and "Send a test to me" not in page
    assert client.post(f"/admin/personalization/journey/{cart.pk}/run/").status_code == 403
    assert client.post(f"/admin/personalization/journey/{cart.pk}/test/",
                       {"language": "en"}).status_code == 403
    listing = client.get("/admin/personalization/journey/").content.decode()
    assert "run_now" not in listing
    assert JourneyMessage.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_language_row_onto_the_journey():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    [mine] = [key for key in graph.nodes if key[1].endswith("_journeys_texts_per_language")]
    before = [parent for parent in graph.node_map[mine].parents
              if parent.key[0] == "personalization"][0].key
    executor.migrate([before])
    try:
        apps = executor.loader.project_state([before]).apps
        old_journey = apps.get_model("personalization", "Journey")
        template = apps.get_model("personalization", "JourneyTemplate")
        journey = old_journey.objects.create(name="Cart", trigger="cart")
        template.objects.create(journey=journey, language="", subject="Hi",
                                body="<p>Hello</p>")
        template.objects.create(journey=journey, language="nl", subject="Hoi",
                                body="<p>Hallo</p>")
    finally:  # back to the latest state, whatever follows this migration
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    moved = Journey.objects.get(pk=journey.pk)
    assert (moved.subject, moved.body) == ("Hi", "<p>Hello</p>")
    assert moved.translations == {"nl": {"subject": "Hoi", "body": "<p>Hallo</p>"}}
    assert moved.in_language("nl").subject == "Hoi"


def test_a_test_sms_goes_to_the_staff_members_own_mobile(demo, admin_client, admin_user):
    from personalization.messaging.channels import locmem
    from tests.factories import CustomerProfileFactory

    sms = JourneyFactory(name="Text back", trigger="lapsed", channel="sms",
                         body="Hi {{ first_name }}, {{ code }} gives 10% off")
    url = f"/admin/personalization/journey/{sms.pk}/test/"
    page = admin_client.post(url, {"language": "en"}).content.decode()
    assert "Your account has no mobile number" in page and locmem.outbox == []
    CustomerProfileFactory(user=admin_user, mobile="+31612345678")
    admin_client.post(url, {"language": "en"})
    [text] = locmem.outbox
    assert text.to == "+31612345678"
    assert text.body == "[Test] Hi admin, TEST-CODE gives 10% off"  # stand-ins, no real code
    assert JourneyMessage.objects.count() == 0
