"""The cache's Redis stopped: every page and the checkout still answer, the consent banner
reads its purposes from the database, and the events of those pages wait in the web
process until Redis is back, then reach the database."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from demo_shop.orders.models import Order
from personalization.models import Event
from personalization.testing import consent_cookie
from tests.factories import ProductFactory
from tests.faults.conftest import Shopper, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_a_dead_cache_costs_no_page_and_no_order_and_its_events_arrive_later(stack):
    needles = ProductFactory(name="Injection needles", slug="needles", stock=50)
    stack.web()
    stack.worker()
    stack.beat()
    stack.cache.stop()
    down_at = timezone.now()

    shopper = Shopper(stack.url)
    first = shopper.session.get(stack.url + "/", timeout=30)  # a first, anonymous visit
    assert first.status_code == 200
    assert 'class="pz-consent"' in first.text  # the banner, its purposes from the database
    shopper.session.cookies.set("pz_consent", consent_cookie())
    for path in ("/", f"/c/{needles.category.slug}/", "/p/needles/", "/search/?q=needles",
                 "/cart/"):
        response = shopper.session.get(stack.url + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
    placed = shopper.buy(needles.pk, 2)
    assert placed.status_code == 200 and "Thank you for your order" in placed.text
    assert Order.objects.get().lines.get().quantity == 2
    checkout_page = shopper.session.get(stack.url + "/checkout/", timeout=30)
    assert checkout_page.status_code in (200, 302)  # empty cart: back to the cart
    assert not Event.objects.filter(type="visit").exists()  # waiting in the web process

    stack.cache.start()
    time.sleep(6)  # the web process tries the cache again after 5 s
    assert shopper.session.get(stack.url + "/", timeout=30).status_code == 200
    wait_for(lambda: Event.objects.filter(type="visit").exists(), 60,
             "the visit recorded while the cache was down")
    visit = Event.objects.filter(type="visit").earliest("created_at")
    assert down_at <= visit.created_at < down_at + timedelta(minutes=1)
