"""Sales-rep SMS alerts: who gets one, with which text, when, and never twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from demo_shop.customers.models import Account
from demo_shop.orders.models import Order
from personalization.jobs.receivers import on_order_placed
from personalization.messaging import alerts
from personalization.messaging.channels import locmem
from personalization.models import RepAlertSettings, RepNotification
from tests.factories import (
    AccountFactory,
    CustomerProfileFactory,
    OrderFactory,
    OrderLineFactory,
    SalesRepFactory,
    UserFactory,
)
from tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def rep_settings():
    return RepAlertSettings.load()


@pytest.fixture
def jan(db):
    rep = SalesRepFactory(name="Pieter Mulder", mobile="+31612345678")
    account = AccountFactory(name="Hoeve De Vries", kind=Account.Kind.B2B, sales_rep=rep)
    user = UserFactory(username="jan", first_name="Jan", last_name="de Vries")
    CustomerProfileFactory(user=user, account=account, customer_group="farm")
    return user


def farm_order(jan, total="120.00", lines=2, placed_by=None):
    order = OrderFactory(user=jan, account=jan.customer_profile.account, total=Decimal(total),
                         subtotal=Decimal(total), placed_by=placed_by or jan)
    for _ in range(lines):
        OrderLineFactory(order=order)
    return order


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio().start()
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "SMS_BACKEND":
                                    "personalization.messaging.channels.twilio.SmsBackend",
                                "SMS_BACKEND_OPTIONS": fake.backend_options(),
                                "SMS_SEND_TIMEOUT": 1}
    yield fake
    fake.stop()


# -- the order flow ------------------------------------------------------------------------

def test_a_repeated_order_signal_sends_one_sms(jan, rep_settings,
                                               django_capture_on_commit_callbacks):
    order = farm_order(jan)
    with django_capture_on_commit_callbacks(execute=True):
        on_order_placed(sender=Order, order=order, user=jan)
        on_order_placed(sender=Order, order=order, user=jan)
    assert len(locmem.outbox) == 1
    assert RepNotification.objects.count() == 1


def test_a_duplicated_task_sends_one_sms(jan, rep_settings):
    n = alerts.queue_rep_alert(farm_order(jan))
    assert alerts.send_rep_notification(n.pk) == "sent"
    assert alerts.send_rep_notification(n.pk) == "sent"
    assert len(locmem.outbox) == 1
    n.refresh_from_db()
    assert n.attempts == 1


def test_site_url_setting_makes_the_admin_link(jan, rep_settings, settings):
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "SITE_URL": "https://shop.example.com/"}
    order = farm_order(jan)
    n = alerts.queue_rep_alert(order)
    assert n.admin_url == f"https://shop.example.com/admin/orders/order/{order.pk}/change/"


def test_orders_below_the_minimum_are_skipped_with_the_reason(jan, rep_settings):
    rep_settings.minimum_order_value = Decimal("100")
    rep_settings.save()
    n = alerts.queue_rep_alert(farm_order(jan, total="99.99"))
    assert n.status == "skipped"
    assert n.last_error == "Order total 99.99 is below the minimum of 100.00."
    assert alerts.send_rep_notification(n.pk) == "skipped"
    assert locmem.outbox == []
    assert alerts.queue_rep_alert(farm_order(jan, total="100.00")).status == "queued"


def test_orders_the_rep_entered_himself_are_skipped_unless_wanted(jan, rep_settings):
    rep = jan.customer_profile.account.sales_rep
    rep.user = UserFactory(username="pieter")
    rep.save()
    assert alerts.queue_rep_alert(farm_order(jan, placed_by=rep.user)).status == "skipped"
    rep_settings.skip_orders_entered_by_rep = False
    rep_settings.save()
    assert alerts.queue_rep_alert(farm_order(jan, placed_by=rep.user)).status == "queued"


def test_alerts_switched_off_record_nothing(jan, rep_settings):
    rep_settings.enabled = False
    rep_settings.save()
    assert alerts.queue_rep_alert(farm_order(jan)) is None
    assert not RepNotification.objects.exists()


def test_a_rep_without_a_valid_number_is_a_visible_failure(jan, rep_settings):
    rep = jan.customer_profile.account.sales_rep
    type(rep).objects.filter(pk=rep.pk).update(mobile="+3161")
    n = alerts.queue_rep_alert(Order.objects.get(pk=farm_order(jan).pk))
    assert n.status == "failed" and "no valid mobile number" in n.last_error


def test_custom_template_placeholders(jan, rep_settings):
    rep_settings.message_template = "{rep}: {account} ordered {order_number} ({total} EUR)"
    rep_settings.full_clean()
    rep_settings.save()
    order = farm_order(jan, total="1234.5")
    n = alerts.queue_rep_alert(order)
    assert n.body == f"Pieter Mulder: Hoeve De Vries ordered {order.number} (1234.50 EUR)"


# -- quiet hours ---------------------------------------------------------------------------

@pytest.mark.parametrize(("local", "start", "end", "expected"), [
    ("2026-03-10 23:30", time(22), time(7), "2026-03-11 07:00"),  # overnight, before midnight
    ("2026-03-11 06:59", time(22), time(7), "2026-03-11 07:00"),  # overnight, after midnight
    ("2026-03-11 07:00", time(22), time(7), "2026-03-11 07:00"),  # window open: now
    ("2026-03-11 12:00", time(22), time(7), "2026-03-11 12:00"),
    ("2026-03-11 12:30", time(12), time(13, 30), "2026-03-11 13:30"),  # lunch break
    ("2026-03-28 23:00", time(22), time(7), "2026-03-29 07:00"),  # across the DST change
])
def test_quiet_hours_move_the_send_time_to_the_window_opening(local, start, end, expected):
    now = datetime.fromisoformat(local).replace(tzinfo=AMS)
    result = alerts.next_send_time(now, start, end, AMS)
    assert result.astimezone(AMS).strftime("%Y-%m-%d %H:%M") == expected
    assert result.utcoffset() is not None


def test_no_quiet_hours_means_now():
    now = timezone.now()
    assert alerts.next_send_time(now, None, None, AMS) == now


def test_an_order_in_quiet_hours_waits_for_the_window(jan, rep_settings,
                                                       django_capture_on_commit_callbacks):
    rep_settings.quiet_hours_start, rep_settings.quiet_hours_end = time(22), time(7)
    rep_settings.save()
    tomorrow = timezone.now().astimezone(AMS).date() + timedelta(days=1)
    placed = datetime.combine(tomorrow, time(23, 15), tzinfo=AMS)
    with django_capture_on_commit_callbacks(execute=True):
        n = alerts.queue_rep_alert(farm_order(jan), now=placed)
    assert n.send_after == datetime.combine(tomorrow + timedelta(days=1), time(7), tzinfo=AMS)
    assert alerts.send_rep_notification(n.pk) == "queued"  # delivered early: still waits
    assert locmem.outbox == []
    RepNotification.objects.filter(pk=n.pk).update(
        send_after=timezone.now() - timedelta(minutes=11))
    assert alerts.resume_stalled_notifications() == 1  # the sweeper picks it up (eager: sends)
    assert len(locmem.outbox) == 1


def test_quiet_hours_need_both_times(rep_settings):
    rep_settings.quiet_hours_start = time(22)
    with pytest.raises(ValidationError, match="both quiet-hour times"):
        rep_settings.full_clean()


# -- template validation -------------------------------------------------------------------

@pytest.mark.parametrize(("template", "error"), [
    ("New order {order_nr}", "Unknown placeholder(s): {order_nr}"),
    ("{customer.__class__}", "{customer.__class__}"),
    ("{total:>10}", "{total:>10}"),
    ("{customer!r}", "{customer!r}"),
    ("Order {order_number", "unbalanced brace"),
])
def test_invalid_templates_are_rejected_with_a_clear_message(rep_settings, template, error):
    rep_settings.message_template = template
    with pytest.raises(ValidationError) as info:
        rep_settings.full_clean()
    assert error in " ".join(info.value.messages)


def test_literal_braces_are_allowed(rep_settings):
    rep_settings.message_template = "{{VIP}} {customer}"
    rep_settings.full_clean()


def test_placeholders_are_written_as_in_journeys_and_the_old_way_still_works(jan,
                                                                              rep_settings):
    """One syntax everywhere, ``{{ customer }}`` as in journeys and text variants; a
    template of the older ``{customer}`` kind keeps working, and "1 line" is singular."""
    order = farm_order(jan, lines=1)
    for template in ("{{ account }} ordered {{order_number}}: {{ order_lines }}",
                     "{account} ordered {order_number}: {order_lines}"):
        rep_settings.message_template = template
        rep_settings.full_clean()
        rep_settings.save()
        n = alerts.queue_rep_alert(order)
        assert n.body == f"Hoeve De Vries ordered {order.number}: 1 line", template
        n.delete()
    rep_settings.message_template = "{{ account }} ordered {{ order_nr }}"
    with pytest.raises(ValidationError, match=r"Unknown placeholder\(s\): \{\{ order_nr \}\}"):
        rep_settings.full_clean()


def test_the_default_message_counts_lines_in_words(jan, rep_settings):
    from personalization.models.notifications import DEFAULT_TEMPLATE

    rep_settings.message_template = DEFAULT_TEMPLATE
    rep_settings.save()
    n = alerts.queue_rep_alert(farm_order(jan, lines=1))
    assert ": 1 line, total €" in n.body and "{" not in n.body


# -- the Twilio backend against a local server --------------------------------------------

def test_twilio_backend_sends_through_the_api(jan, rep_settings, twilio):
    n = alerts.queue_rep_alert(farm_order(jan))
    assert alerts.send_rep_notification(n.pk) == "sent"
    assert [(m["to"], m["from"]) for m in twilio.messages] == [("+31612345678",
                                                                "+3197010000000")]
    n.refresh_from_db()
    assert n.provider_message_id == twilio.messages[0]["sid"]


def test_provider_errors_are_retried_then_sent_once(jan, rep_settings, twilio):
    twilio.plan[:] = [("fail", 503), ("fail", 503)]
    n = alerts.queue_rep_alert(farm_order(jan))
    for attempt in (1, 2):
        with pytest.raises(alerts.TransientSendError):
            alerts.send_rep_notification(n.pk)
        n.refresh_from_db()
        assert (n.status, n.attempts) == ("queued", attempt)
        assert "Twilio answered 503" in n.last_error
    assert alerts.send_rep_notification(n.pk) == "sent"
    n.refresh_from_db()
    assert (n.status, n.attempts, n.last_error) == ("sent", 3, "")
    assert len(twilio.messages) == 1 and twilio.posts == 3


def test_the_last_retry_leaves_a_visible_failure(jan, rep_settings, twilio):
    twilio.plan[:] = [("fail", 503)]
    n = alerts.queue_rep_alert(farm_order(jan))
    assert alerts.send_rep_notification(n.pk, last_attempt=True) == "failed"
    n.refresh_from_db()
    assert n.status == "failed" and "503" in n.last_error


def test_a_rejected_message_fails_without_retry(jan, rep_settings, twilio):
    twilio.plan[:] = [("fail", 400)]
    n = alerts.queue_rep_alert(farm_order(jan))
    assert alerts.send_rep_notification(n.pk) == "failed"
    assert twilio.posts == 1


def test_a_lost_answer_is_looked_up_not_resent(jan, rep_settings, twilio):
    twilio.plan[:] = [("hold", True)]  # Twilio accepts it; its answer never comes (time-out)
    n = alerts.queue_rep_alert(farm_order(jan))
    assert alerts.send_rep_notification(n.pk) == "sent"
    n.refresh_from_db()
    assert n.provider_message_id == twilio.messages[0]["sid"]
    assert twilio.posts == 1 and "Answer lost" in n.last_error


def _left_sending(n, minutes_ago=5):
    RepNotification.objects.filter(pk=n.pk).update(
        status="sending", attempts=1, claimed_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_dead_workers_sms_that_reached_the_provider_is_not_sent_again(jan, rep_settings,
                                                                        twilio):
    n = alerts.queue_rep_alert(farm_order(jan))
    twilio.messages.append({"sid": "SMearlier", "to": n.phone.as_e164, "body": n.body,
                            "from": "+3197010000000", "date_created": None})
    _left_sending(n)
    assert alerts.send_rep_notification(n.pk) == "sent"
    n.refresh_from_db()
    assert (n.provider_message_id, n.attempts, twilio.posts) == ("SMearlier", 1, 0)


def test_a_dead_workers_sms_that_never_reached_the_provider_is_sent(jan, rep_settings, twilio):
    n = alerts.queue_rep_alert(farm_order(jan))
    _left_sending(n)
    assert alerts.send_rep_notification(n.pk) == "sent"
    n.refresh_from_db()
    assert n.attempts == 2 and len(twilio.messages) == 1


def test_a_fresh_sending_row_belongs_to_its_worker(jan, rep_settings, twilio):
    n = alerts.queue_rep_alert(farm_order(jan))
    _left_sending(n, minutes_ago=0)
    with pytest.raises(alerts.TransientSendError, match="Another worker"):
        alerts.send_rep_notification(n.pk)
    assert twilio.posts == 0


def test_without_a_provider_lookup_an_interrupted_send_is_not_repeated(jan, rep_settings,
                                                                        settings):
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "SMS_BACKEND": "personalization.messaging.channels.console.SmsBackend"}
    n = alerts.queue_rep_alert(farm_order(jan))
    _left_sending(n)
    assert alerts.send_rep_notification(n.pk) == "failed"
    n.refresh_from_db()
    assert "may or may not have gone out" in n.last_error


def test_resend_queues_failed_alerts_again(jan, rep_settings,
                                           django_capture_on_commit_callbacks):
    n = alerts.queue_rep_alert(farm_order(jan))
    RepNotification.objects.filter(pk=n.pk).update(status="failed", last_error="503")
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.resend(RepNotification.objects.all()) == 1
    n.refresh_from_db()
    assert n.status == "sent" and len(locmem.outbox) == 1


def test_the_link_takes_the_host_the_request_came_on(jan, rep_settings, settings, rf):
    """The demo on another port (or any shop behind another address) gets links to where it
    really is, whatever SITE_URL says."""
    settings.PERSONALIZATION = {**settings.PERSONALIZATION,
                                "SITE_URL": "http://127.0.0.1:8000"}
    order = farm_order(jan)
    request = rf.get("/checkout/", HTTP_HOST="127.0.0.1:8123")
    assert alerts.absolute_url(f"/x/{order.pk}/", request) == f"http://127.0.0.1:8123/x/{order.pk}/"
    assert alerts.absolute_url("/x/") == "http://127.0.0.1:8000/x/"  # no request: the setting


@pytest.fixture
def sites_framework_leaves_no_trace():
    """Installing django.contrib.sites for a test runs the admin's autodiscovery, which
    registers Site: unregistered afterwards, or every later admin page looks for the app."""
    yield
    from django.contrib import admin
    from django.contrib.sites.models import Site

    if admin.site.is_registered(Site):
        admin.site.unregister(Site)


@pytest.mark.parametrize(("domain", "expected"), [
    ("shop.example.nl", "https://shop.example.nl/x/"),
    ("localhost:8001", "http://localhost:8001/x/"),
    ("example.com", "/x/"),  # the Sites framework's placeholder
])
@pytest.mark.usefixtures("sites_framework_leaves_no_trace")
def test_without_request_or_setting_the_sites_framework_gives_the_base(settings, domain,
                                                                       expected):
    from django.apps import apps
    from django.db import connection

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "SITE_URL": None}
    assert alerts.absolute_url("/x/") == "/x/"  # the demo has no Sites framework
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.sites"]
    settings.SITE_ID = 1
    from django.contrib.sites.models import Site

    if Site._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:  # rolled back with the test
            editor.create_model(Site)
    assert apps.is_installed("django.contrib.sites")
    Site.objects.update_or_create(pk=1, defaults={"domain": domain, "name": domain})
    Site.objects.clear_cache()

    assert alerts.absolute_url("/x/") == expected
