"""Admin: sales-rep SMS settings, the SMS log with "resend", and rep phone numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from demo_shop.customers.models import SalesRep
from personalization.messaging.channels import locmem
from personalization.models import RepAlertSettings
from tests.factories import RepNotificationFactory

pytestmark = pytest.mark.django_db


def notification(**fields):
    values = {"order_reference": "DS-000042", "rep_reference": "1", "rep_name": "Pieter Mulder",
              "phone": "+31612345678", "customer_name": "Jan de Vries",
              "order_total": Decimal("80.00"), "body": "New order DS-000042",
              "send_after": timezone.now(), **fields}
    return RepNotificationFactory(**values)


def settings_form(**fields):
    return {"enabled": "on", "minimum_order_value": "0", "skip_orders_entered_by_rep": "on",
            "quiet_hours_start": "", "quiet_hours_end": "",
            "message_template": "New order {order_number}", **fields}


def test_settings_list_opens_the_single_settings_form(admin_client):
    response = admin_client.get(reverse("admin:personalization_repalertsettings_changelist"))
    assert response.status_code == 302
    page = admin_client.get(response.url).content.decode()
    assert "<code>{{ admin_url }}</code>" in page and "Quiet hours" in page


def test_unknown_placeholder_is_refused_in_the_admin(admin_client):
    obj = RepAlertSettings.load()
    url = reverse("admin:personalization_repalertsettings_change", args=[obj.pk])
    response = admin_client.post(url, settings_form(message_template="Order {ordernumber}"))
    assert response.status_code == 200
    assert "Unknown placeholder(s): {ordernumber}." in response.content.decode()
    response = admin_client.post(url, settings_form(
        message_template="{rep}: order {order_number}", minimum_order_value="50",
        quiet_hours_start="22:00", quiet_hours_end="07:00"))
    assert response.status_code == 302
    obj.refresh_from_db()
    assert obj.message_template == "{rep}: order {order_number}"
    assert obj.minimum_order_value == Decimal("50") and str(obj.quiet_hours_end) == "07:00:00"


def test_sms_log_filters_by_status_and_is_read_only(admin_client):
    notification(order_reference="DS-1", status="sent")
    failed = notification(order_reference="DS-2", status="failed", last_error="Twilio 503")
    url = reverse("admin:personalization_repnotification_changelist")
    html = admin_client.get(url, {"status__exact": "failed"}).content.decode()
    assert "DS-2" in html and "DS-1" not in html and "Twilio 503" in html
    change = admin_client.get(reverse("admin:personalization_repnotification_change",
                                      args=[failed.pk])).content.decode()
    assert 'name="_save"' not in change  # view only


def test_resend_action_sends_failed_sms_again(admin_client, django_capture_on_commit_callbacks):
    failed = notification(status="failed", attempts=10, last_error="Twilio 503")
    sent = notification(order_reference="DS-3", status="sent")
    url = reverse("admin:personalization_repnotification_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"action": "resend",
                                           "_selected_action": [failed.pk, sent.pk]},
                                     follow=True)
    assert "1 SMS queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 11)
    assert [m.body for m in locmem.outbox] == ["New order DS-000042"]


@pytest.mark.parametrize("number", ["+31 6 12", "12345", "+999123456789"])
def test_an_invalid_rep_mobile_number_is_refused(admin_client, number):
    response = admin_client.post(reverse("admin:customers_salesrep_add"),
                                 {"name": "Pieter", "mobile": number, "email": "", "user": ""})
    assert response.status_code == 200
    assert "Enter a valid phone number" in response.content.decode()
    assert not SalesRep.objects.exists()


def test_a_rep_mobile_number_is_stored_in_e164(admin_client):
    response = admin_client.post(reverse("admin:customers_salesrep_add"),
                                 {"name": "Pieter", "mobile": "06 12345678", "email": "",
                                  "user": ""})
    assert response.status_code == 302
    assert SalesRep.objects.get().mobile.as_e164 == "+31612345678"
