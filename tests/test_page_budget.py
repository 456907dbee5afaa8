"""Whole demo pages with every touchpoint: personalization adds no query on a warm request."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from waffle.models import Switch

from personalization.engine import rulebook
from personalization.testing import give_consent

pytestmark = pytest.mark.django_db
PAGES = ["/", "/c/cat-litter/", "/p/clumping-cat-litter-10-l/", "/search/?q=litter",
         "/cart/"]


@pytest.fixture
def shop():
    call_command("seed_demo", customers=5, history=False, stdout=open("/dev/null", "w"))
    rulebook.invalidate()


def warm_queries(client, path):
    client.get(path)  # cold: RuleBook, catalog prices, session
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_page_costs_the_shop_queries_only(client, shop, path):
    give_consent(client)
    Switch.objects.update_or_create(name="personalization_off", defaults={"active": True})
    off = warm_queries(client, path)
    Switch.objects.update_or_create(name="personalization_off", defaults={"active": False})
    on = warm_queries(client, path)
    assert on == off, f"{path}: {on} queries with personalization, {off} without"


@pytest.mark.parametrize("username", ["anna", "jan", "lisa"])
def test_customer_home_page_adds_only_the_shops_own_list_queries(client, shop, username):
    client.post("/login/", {"username": username, "password": "demo"})
    Switch.objects.update_or_create(name="personalization_off", defaults={"active": True})
    off = warm_queries(client, "/")
    Switch.objects.update_or_create(name="personalization_off", defaults={"active": False})
    on = warm_queries(client, "/")
    # His cached profile costs nothing; "your usual order" is the shop's own answer
    # (demo_shop/orders/usual.py: two queries, whatever the number of products).
    assert on - off <= 2, f"{username}: {on} queries with personalization, {off} without"


def test_uploaded_banner_and_popup_images_cost_no_query(client, shop, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from personalization.models import BannerVariant, PopupVariant
    from tests.demo_shop.test_variant_images import png

    settings.MEDIA_ROOT = tmp_path
    for variant in [*BannerVariant.objects.all(), *PopupVariant.objects.all()]:
        variant.image = SimpleUploadedFile("photo.png", png(16, 9))
        variant.save()
    rulebook.invalidate()
    give_consent(client)
    for path in ("/", "/c/cat-litter/"):
        Switch.objects.update_or_create(name="personalization_off", defaults={"active": True})
        off = warm_queries(client, path)
        Switch.objects.update_or_create(name="personalization_off", defaults={"active": False})
        on = warm_queries(client, path)
        assert on == off, f"{path}: {on} queries with personalization, {off} without"
    page = client.get("/").content.decode()
    assert 'src="/media/personalization/variants/' in page and 'width="16" height="9"' in page
