"""A cache server that cannot be reached costs no page: reads are misses, writes are
skipped, the consent banner and the customer's data come from the database."""

import pytest
from django.test import override_settings

from demo_shop.orders.models import Order
from personalization import cache as pz_cache
from personalization.testing import give_consent
from tests.demo_shop.helpers import add_to_cart, checkout
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

DEAD = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
                    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}


@pytest.fixture
def dead_cache():
    from personalization.measurement.events import discard_local_buffer

    pz_cache.reset()
    with override_settings(CACHES=DEAD):
        yield
    discard_local_buffer()  # the events of these pages had nowhere to go
    pz_cache.reset()


def test_the_safe_cache_reads_misses_and_stops_trying_for_a_while(dead_cache):
    cache = pz_cache.app_cache()
    assert cache.get("anything", "fallback") == "fallback"
    assert pz_cache.cache_is_down(cache.server)
    assert cache.add("k", 1) is False and cache.set("k", 1) is None
    with pytest.raises(pz_cache.CacheUnavailable):
        cache.incr("k")
    pz_cache.reset()
    assert not pz_cache.cache_is_down(cache.server)


def test_the_session_cache_and_the_apps_cache_share_one_outage(dead_cache):
    """The demo's sessions wrap the cache object, the app names its alias: when the session
    read finds the server down, the app's next read does not wait for it again."""
    from django.core.cache import caches

    sessions = pz_cache.SafeCache(caches["default"])
    assert sessions.get("session-key", "miss") == "miss"
    app = pz_cache.app_cache()
    assert app.server == sessions.server == "redis://127.0.0.1:1/0"
    assert pz_cache.cache_is_down(app.server)
    assert app.get("anything", "fallback") == "fallback"


def test_shop_pages_and_a_checkout_work_without_the_cache(client, dead_cache):
    product = ProductFactory(name="Cat litter", slug="litter", stock=10)
    first = client.get("/")
    assert first.status_code == 200 and 'class="pz-consent"' in first.content.decode()
    give_consent(client)
    for path in ("/", f"/c/{product.category.slug}/", "/p/litter/", "/search/?q=litter"):
        assert client.get(path).status_code == 200, path
    add_to_cart(client, product, 2)
    assert client.get("/cart/").status_code == 200
    response = checkout(client)
    assert response.status_code == 200 and "Thank you for your order" in \
        response.content.decode()
    assert Order.objects.get().lines.get().quantity == 2


def test_a_customer_logs_in_and_sees_his_greeting_without_the_cache(client, dead_cache):
    UserFactory(username="anna", first_name="Anna")
    give_consent(client)
    response = client.post("/login/", {"username": "anna", "password": "demo"}, follow=True)
    assert response.status_code == 200 and "Hello Anna" in response.content.decode()
    assert client.post("/logout/", follow=True).status_code == 200


def test_the_visitor_apis_writes_go_through_unthrottled_without_the_cache(client, dead_cache,
                                                                          caplog):
    """Throttles count in the cache: while it is down they let writes through (logged)
    rather than answer 500, so a visitor can still choose his consent and erase his data."""
    from personalization.models import ConsentRecord

    give_consent(client)
    with caplog.at_level("WARNING", logger="personalization.cache"):
        for _ in range(3):
            choice = client.put("/pz/api/consent/", {"choices": {"analytics": True}},
                                content_type="application/json")
            assert choice.status_code == 200 and choice.json()["decided"]
    assert "cannot be reached" in caplog.text
    assert ConsentRecord.objects.filter(purpose="analytics", granted=True,
                                        source="banner").count() == 3
    event = client.post("/pz/api/events/", {"events": [{"type": "custom",
                                                        "name": "newsletter_signup"}]},
                        content_type="application/json")
    assert event.status_code == 202
    erased = client.delete("/pz/api/me/", {"confirm": True}, content_type="application/json")
    assert erased.status_code == 200 and erased.cookies["pz_vid"].value == ""
    assert erased.json()["erased"]["consent_records_pseudonymised"] >= 3
    assert not ConsentRecord.objects.filter(visitor_id__isnull=False).exists()


def test_an_unsubscribe_link_works_without_the_cache(client, dead_cache):
    from personalization.journeys.messages import unsubscribe_token
    from personalization.privacy.consent import may_send_marketing, record_choices

    anna = UserFactory(username="anna")
    record_choices(choices={"marketing": True}, source="banner", user=anna)
    done = client.post(f"/pz/journeys/unsubscribe/{unsubscribe_token(anna.pk)}/")
    assert done.status_code == 200 and not may_send_marketing(anna)
