"""The demo checkout texts a business customer's sales rep (SMS alerts, eager Celery)."""

import pytest

from demo_shop.orders.models import Order
from personalization.messaging.channels import locmem
from personalization.models import RepNotification
from tests.demo_shop.helpers import add_to_cart, checkout

pytestmark = pytest.mark.django_db


def test_checkout_by_a_b2b_customer_texts_his_rep_once(client, shop, farmer,
                                                       django_capture_on_commit_callbacks):
    client.force_login(farmer)
    add_to_cart(client, shop.needles, 2)
    add_to_cart(client, shop.scoop, 1)
    with django_capture_on_commit_callbacks(execute=True):
        checkout(client)
    order = Order.objects.get()
    assert len(locmem.outbox) == 1
    sms = locmem.outbox[0]
    assert sms.to == "+31612345678"
    assert sms.body == (f"New order {order.number} from Jan de Vries: 2 lines, total €35.00. "
                        f"http://testserver/admin/orders/order/{order.pk}/change/")
    n = RepNotification.objects.get()
    assert (n.status, n.attempts, n.rep_name, n.order_reference) == (
        "sent", 1, "Pieter Mulder", order.number)
    assert n.provider_message_id.startswith("locmem-") and n.sent_at is not None
    assert n.order == order


def test_consumer_without_a_rep_gets_no_sms(client, shop, customer,
                                           django_capture_on_commit_callbacks):
    client.force_login(customer)
    add_to_cart(client, shop.litter)
    with django_capture_on_commit_callbacks(execute=True):
        checkout(client)
    assert locmem.outbox == [] and not RepNotification.objects.exists()
