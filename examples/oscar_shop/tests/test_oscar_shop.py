"""django-personalization in a real django-oscar shop, through Oscar's own views: its
basket, its checkout, its vouchers and its ``order_placed`` signal."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from oscar.core.loading import get_model

from personalization.jobs.refresh import refresh_segment
from personalization.models import Event, RepNotification, SegmentMembership
from personalization.testing import give_consent

pytestmark = pytest.mark.django_db

Order = get_model("order", "Order")
Voucher = get_model("voucher", "Voucher")
CAT_HERO = "Your cat will love our scratching posts"
DEFAULT_HERO = "Welcome to the Oscar example shop."


def add_to_basket(client, product, quantity=1):
    response = client.post(reverse("basket:add", kwargs={"pk": product.pk}),
                           {"quantity": quantity})
    assert response.status_code == 302, response.content[:500]


def oscar_order(user, product, quantity=1):
    """An order written by Oscar's ``OrderCreator`` (what its checkout calls)."""
    from oscar.apps.partner.strategy import Default
    from oscar.test.factories import create_order

    basket = get_model("basket", "Basket").objects.create(owner=user)
    basket.strategy = Default()
    basket.add_product(product, quantity)
    return create_order(user=user, basket=basket)


def place_order(client, guest_email=None):
    """Oscar's checkout, step by step, as a signed-in customer (or a guest with
    ``guest_email``): address, (the only) shipping method, payment, preview, place it."""
    if guest_email:
        response = client.post(reverse("checkout:index"), {
            "username": guest_email, "options": "anonymous"})
        assert response["Location"] == reverse("checkout:shipping-address")
    else:
        client.get(reverse("checkout:index"), follow=True)
    response = client.post(reverse("checkout:shipping-address"), {
        "first_name": "Jan", "last_name": "de Vries", "line1": "Dorpsstraat 1",
        "line4": "Utrecht", "postcode": "3511 AA", "country": "NL"}, follow=True)
    assert response.status_code == 200
    response = client.post(reverse("checkout:preview"), {"action": "place_order"})
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == reverse("checkout:thank-you")
    return Order.objects.latest("id")


def test_a_rule_on_oscars_basket_changes_the_hero(client, shop):
    give_consent(client)
    page = client.get("/catalogue/").content.decode()
    assert DEFAULT_HERO in page and "Cat food 2 kg" in page  # Oscar's list, from its index
    add_to_basket(client, shop["products"]["Dog biscuits"])
    assert DEFAULT_HERO in client.get("/catalogue/").content.decode()
    add_to_basket(client, shop["products"]["Cat food 2 kg"])
    page = client.get("/catalogue/").content.decode()
    assert CAT_HERO in page and DEFAULT_HERO not in page


def test_reading_the_basket_costs_no_query_of_its_own(client, shop):
    """Oscar loads the basket for its header on every page; the rule reads those lines."""
    give_consent(client)
    add_to_basket(client, shop["products"]["Cat food 2 kg"])

    def warm_queries():
        client.get("/catalogue/")
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/catalogue/").content.decode()
        return len(queries), page

    with_rule, page = warm_queries()
    assert CAT_HERO in page
    shop["cat_campaign"].status = "paused"
    shop["cat_campaign"].save()
    without, page = warm_queries()
    assert DEFAULT_HERO in page
    assert with_rule == without


def test_the_category_being_viewed_comes_from_oscars_url(client, shop, rf):
    from personalization.adapters import get_adapter

    cats = shop["categories"]["Cats"]
    response = client.get(cats.get_absolute_url())
    assert response.status_code == 200
    request = response.wsgi_request
    assert get_adapter().current_category(request) == (cats.pk, shop["categories"]["Pets"].pk)
    product = shop["products"]["Dog lead"]
    request = client.get(product.get_absolute_url()).wsgi_request
    assert get_adapter().current_category(request) == (
        shop["categories"]["Dogs"].pk, shop["categories"]["Pets"].pk)


def test_a_computed_segment_over_oscars_orders(client, shop, django_user_model):
    from personalization.rules import PurchasedRule, UsedDiscountCodeRule

    jan = shop["jan"]
    eva = django_user_model.objects.create_user("eva", "eva@example.com", "pw")
    food, lead = shop["products"]["Cat food 2 kg"], shop["products"]["Dog lead"]
    for _ in range(2):
        oscar_order(jan, lead)
    oscar_order(eva, food)

    refresh_segment(shop["loyal"].pk)
    members = set(SegmentMembership.objects.filter(segment=shop["loyal"])
                  .values_list("user_id", flat=True))
    assert members == {jan.pk}

    # Oscar's product-category many-to-many, through the parent category "Pets" too.
    from personalization.models import Segment
    cat_buyers = Segment.objects.create(name="Cat buyers", slug="cat-buyers",
                                        kind=Segment.Kind.COMPUTED)
    PurchasedRule.objects.create(segment=cat_buyers,
                                 category_ids=str(shop["categories"]["Cats"].pk))
    refresh_segment(cat_buyers.pk)
    assert set(SegmentMembership.objects.filter(segment=cat_buyers)
               .values_list("user_id", flat=True)) == {eva.pk}

    # A code used on an Oscar order is its OrderDiscount's voucher code.
    bargain = Segment.objects.create(name="Code users", slug="code-users",
                                     kind=Segment.Kind.COMPUTED)
    UsedDiscountCodeRule.objects.create(segment=bargain, minimum=1)
    refresh_segment(bargain.pk)
    assert not SegmentMembership.objects.filter(segment=bargain).exists()


def test_a_variants_purchase_counts_for_its_parents_category(shop, django_user_model):
    from oscar.test.factories import create_product

    from personalization.adapters import get_adapter

    parent = create_product(title="Cat tree", structure="parent")
    parent.categories.add(shop["categories"]["Cats"])
    child = create_product(title="Cat tree, grey", parent=parent, structure="child",
                           price=Decimal("49.00"))
    eva = django_user_model.objects.create_user("eva", "eva@example.com", "pw")
    oscar_order(eva, child)
    stats = get_adapter().customer_stats(eva)
    assert shop["categories"]["Cats"].pk in stats["categories"]
    assert stats["order_count"] == 1 and stats["total_spent"] > 0


def sign_in(client, user):
    client.force_login(user)
    give_consent(client, user=user)
    return client


def test_a_voucher_is_prefilled_in_oscars_basket_and_accepted_by_it(
        client, shop, django_capture_on_commit_callbacks):
    jan = shop["jan"]
    sign_in(client, jan)
    add_to_basket(client, shop["products"]["Cat food 2 kg"])
    page = client.get(reverse("basket:summary")).content.decode()
    code = Voucher.objects.get().code
    assert code.startswith(f"PZ{shop['welcome'].pk}-")
    assert f'id="id_code" maxlength="128" class="form-control" value="{code}"' in page

    response = client.post(reverse("basket:vouchers-add"), {"code": code}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Coupon '{code}' added to cart"]
    basket = response.context["basket"]
    assert [v.code for v in basket.vouchers.all()] == [code]
    assert basket.total_incl_tax == Decimal("11.66")  # 12.95 less 1.29 (Oscar rounds down)

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(client)
    assert order.total_incl_tax == Decimal("11.66")
    assert list(order.discounts.values_list("voucher_code", flat=True)) == [code]
    # Single use: spent, it is not offered again, and Oscar refuses it in the next basket.
    add_to_basket(client, shop["products"]["Dog lead"])
    page = client.get(reverse("basket:summary")).content.decode()
    assert 'id="id_code" maxlength="128" class="form-control" value=""' in page
    assert Voucher.objects.count() == 1
    response = client.post(reverse("basket:vouchers-add"), {"code": code}, follow=True)
    assert "has already been used" in response.content.decode()
    assert not response.context["basket"].vouchers.exists()


def test_a_visitor_outside_the_campaign_gets_no_voucher(client, shop):
    shop["welcome"].segments.add(shop["loyal"])  # loyal customers only, now
    from personalization.engine import rulebook

    rulebook.invalidate()
    sign_in(client, shop["jan"])
    add_to_basket(client, shop["products"]["Cat food 2 kg"])
    page = client.get(reverse("basket:summary")).content.decode()
    assert 'id="id_code" maxlength="128" class="form-control" value=""' in page
    assert not Voucher.objects.exists()


def test_an_oscar_checkout_records_the_conversion_and_alerts_the_rep(
        client, shop, django_capture_on_commit_callbacks):
    from personalization.messaging.channels import locmem

    jan = shop["jan"]
    sign_in(client, jan)
    add_to_basket(client, shop["products"]["Cat food 2 kg"], quantity=2)
    assert CAT_HERO in client.get("/catalogue/").content.decode()  # seen: an impression
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(client)

    conversion = Event.objects.get(type="conversion", campaign=shop["cat_campaign"])
    assert conversion.value == order.total_incl_tax == Decimal("25.90")
    assert conversion.reference == order.number
    assert not Event.objects.filter(type="conversion", campaign=shop["welcome"]).exists()

    alert = RepNotification.objects.get()
    assert (alert.order_reference, alert.rep_name, alert.customer_name) == (
        order.number, "Pieter Mulder", "Jan de Vries")
    assert alert.order_total == Decimal("25.90")
    assert alert.admin_url.endswith(f"/dashboard/orders/{order.number}/")
    [sms] = locmem.outbox
    assert sms.to == "+31612345678" and order.number in sms.body


def test_an_order_of_a_customer_without_rep_sends_no_sms(client, shop, django_user_model,
                                                         django_capture_on_commit_callbacks):
    eva = django_user_model.objects.create_user("eva", "eva@example.com", "pw")
    sign_in(client, eva)
    add_to_basket(client, shop["products"]["Dog lead"])
    with django_capture_on_commit_callbacks(execute=True):
        place_order(client)
    assert not RepNotification.objects.exists()


def test_a_guests_order_is_attributed_to_his_browser(client, shop,
                                                      django_capture_on_commit_callbacks):
    """Oscar's order_placed carries no request: the adapter passes on the one being served,
    so a guest's order counts for the campaign his browser saw, under his browser's consent."""
    give_consent(client)
    add_to_basket(client, shop["products"]["Cat litter 10 l"])
    assert CAT_HERO in client.get("/catalogue/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(client, guest_email="guest@example.com")
    assert order.user is None and order.guest_email == "guest@example.com"
    conversion = Event.objects.get(type="conversion", campaign=shop["cat_campaign"])
    assert conversion.reference == order.number and conversion.value == Decimal("8.50")


def test_a_guest_without_analytics_consent_is_not_counted(client, shop,
                                                          django_capture_on_commit_callbacks):
    give_consent(client, "personalization")
    add_to_basket(client, shop["products"]["Cat litter 10 l"])
    assert CAT_HERO in client.get("/catalogue/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        place_order(client, guest_email="guest@example.com")
    assert not Event.objects.filter(type="conversion").exists()


def test_the_merchant_picks_oscars_products_and_categories_by_name(client, shop):
    client.force_login(get_model("auth", "User").objects.get(username="admin"))
    lookup = "/admin/personalization/segment/catalog/"
    found = client.get(lookup, {"kind": "product", "term": "cat"}).json()["results"]
    assert [r["text"] for r in found] == ["Cat food 2 kg", "Cat litter 10 l"]
    found = client.get(lookup, {"kind": "category", "term": "ca"}).json()["results"]
    assert found == [{"id": str(shop["categories"]["Cats"].pk), "text": "Pets › Cats"}]
    segment = shop["cat_campaign"].segments.get()
    page = client.get(f"/admin/personalization/segment/{segment.pk}/change/").content.decode()
    assert "Pets › Cats" in page


def test_an_abandoned_oscar_basket_gets_its_journey_email_with_the_lines(shop):
    """Abandoned-cart journeys scan Oscar's open baskets; the e-mail lists the basket's
    lines with Oscar's product titles and the prices in the basket."""
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone
    from oscar.apps.partner.strategy import Default

    from personalization.journeys.scan import scan
    from personalization.models import ConsentRecord, Journey

    jan = shop["jan"]
    ConsentRecord.objects.create(user=jan, purpose="marketing", granted=True,
                                 policy_version="1", source="signup", subject=f"u{jan.pk}")
    Journey.objects.create(
        name="Basket reminder", enabled=True, trigger="cart", hours=2, channel="email",
        holdout_percent=0, subject="{{ first_name }}, your basket is waiting",
        body="<p>Still in your basket:</p>{{ cart }}<p>{{ cart_link }}</p>")
    basket = get_model("basket", "Basket").objects.create(owner=jan)
    basket.strategy = Default()
    basket.add_product(shop["products"]["Cat food 2 kg"], 2)
    assert scan().queued == {"Basket reminder": 0}  # changed just now: not abandoned yet
    basket.lines.update(date_updated=timezone.now() - timedelta(hours=3))
    assert scan().queued == {"Basket reminder": 1}
    [email] = mail.outbox
    assert email.to == ["jan@example.com"] and email.subject == "Jan, your basket is waiting"
    assert "- 2 × Cat food 2 kg" in email.body
    html = email.alternatives[0][0]
    assert "Cat food 2 kg" in html and "2 × €12.95" in html


def test_a_dutch_shoppers_voucher_is_named_in_dutch(client, shop):
    give_consent(client)
    add_to_basket(client, shop["products"]["Dog lead"])
    client.get(reverse("basket:summary"), HTTP_ACCEPT_LANGUAGE="nl")
    voucher = Voucher.objects.get()
    assert voucher.name == f"10% korting, bon {voucher.pk}"


def test_the_privacy_page_is_in_oscars_layout_and_linked_from_every_page(client, shop):
    page = client.get("/catalogue/").content.decode()
    assert '<a href="/pz/privacy/">Privacy choices</a>' in page  # Oscar's footer block
    assert "/static/personalization/pz.css" in page  # the banner and popups are styled
    privacy = client.get("/pz/privacy/").content.decode()
    assert "<h1>Privacy choices</h1>" in privacy
    assert 'id="top_page"' in privacy and "Oscar example shop" in privacy  # Oscar's layout
    forget = client.get("/pz/privacy/forget-me/").content.decode()
    assert "Erase my data" in forget and 'id="top_page"' in forget


def test_explain_for_a_category_page_knows_its_category(shop):
    from io import StringIO

    from django.core.management import call_command

    from personalization.engine import rulebook
    from personalization.models import BannerVariant, Campaign, Segment, Slot
    from personalization.rules import CurrentCategoryRule

    dogs = shop["categories"]["Dogs"]
    viewing = Segment.objects.create(name="Viewing dogs", slug="viewing-dogs")
    CurrentCategoryRule.objects.create(segment=viewing, category_ids=str(dogs.pk))
    campaign = Campaign.objects.create(name="Dog days", slot=Slot.objects.get(key="home_hero"),
                                       status="live", priority=5)
    campaign.segments.add(viewing)
    BannerVariant.objects.create(campaign=campaign, headline="Dog days")
    rulebook.invalidate()
    out = StringIO()
    call_command("explain", user="jan", path=dogs.get_absolute_url(), slot="home_hero",
                 stdout=out)
    assert "Shows: campaign 'Dog days'" in out.getvalue()


def test_the_affinity_sort_knows_oscars_product_categories(shop):
    """Oscar's products have no category attribute: the adapter answers from its catalogue
    map, once for the whole list."""
    from personalization.touchpoints.recommend import affinity_sorted

    food, lead = shop["products"]["Cat food 2 kg"], shop["products"]["Dog lead"]
    dogs, cats = shop["categories"]["Dogs"].pk, shop["categories"]["Cats"].pk
    assert affinity_sorted([food, lead], {dogs: 0.9, cats: 0.1}) == [lead, food]
    assert affinity_sorted([lead, food], {cats: 0.9}) == [food, lead]


def test_a_rule_on_a_parent_category_counts_purchases_below_it(shop, django_user_model):
    """"Purchased in Pets" includes Cats and Dogs (Oscar's tree, treebeard paths), in the
    computed refresh and live alike."""
    from personalization.adapters import get_adapter
    from personalization.engine import rulebook
    from personalization.models import Segment
    from personalization.rules import PurchasedRule
    from personalization.testing import make_context

    pets, cats, dogs = (shop["categories"][n] for n in ("Pets", "Cats", "Dogs"))
    assert get_adapter().category_descendants(frozenset({pets.pk})) == {
        pets.pk, cats.pk, dogs.pk}
    assert get_adapter().category_descendants(frozenset({cats.pk})) == {cats.pk}
    eva = django_user_model.objects.create_user("eva", "eva@example.com", "pw")
    oscar_order(eva, shop["products"]["Cat food 2 kg"])
    oscar_order(shop["jan"], shop["products"]["Dog lead"])
    pet_people = Segment.objects.create(name="Pet people", slug="pet-people",
                                        kind=Segment.Kind.COMPUTED)
    PurchasedRule.objects.create(segment=pet_people, category_ids=str(pets.pk))
    refresh_segment(pet_people.pk)
    assert set(SegmentMembership.objects.filter(segment=pet_people)
               .values_list("user_id", flat=True)) == {eva.pk, shop["jan"].pk}

    rulebook.invalidate()
    rule = rulebook.get_rulebook().segments[pet_people.pk].checks[0].rule
    stats = get_adapter().customer_stats(eva)  # the product's own category: Cats
    assert pets.pk not in stats["categories"]
    assert rule.matches(make_context(profile={"categories": {
        int(k): v for k, v in stats["categories"].items()}}))


def test_no_popup_opens_in_oscars_basket_or_checkout(client, shop):
    from personalization.engine import rulebook
    from personalization.models import Campaign, PopupVariant, Slot

    campaign = Campaign.objects.create(name="Newsletter", slot=Slot.objects.get(
        key="site_popup"), status="live", priority=99)
    PopupVariant.objects.create(campaign=campaign, title="Join our newsletter",
                                body="<p>News</p>", trigger="load")
    rulebook.invalidate()
    give_consent(client)
    assert "Join our newsletter" in client.get("/catalogue/").content.decode()
    add_to_basket(client, shop["products"]["Dog lead"])
    assert "Join our newsletter" not in client.get(reverse("basket:summary")).content.decode()
    checkout = client.get(reverse("checkout:index"), follow=True)
    assert checkout.status_code == 200
    assert "Join our newsletter" not in checkout.content.decode()
    campaign.popup_on_checkout = True
    campaign.save()
    assert "Join our newsletter" in client.get(reverse("basket:summary")).content.decode()
def test_a_dutch_shopper_gets_the_hero_in_dutch(client, shop):
    give_consent(client)
    page = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Welkom in de Oscar-voorbeeldwinkel." in page and DEFAULT_HERO not in page
    add_to_basket(client, shop["products"]["Cat food 2 kg"])

    page = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Je kat is dol op onze krabpalen" in page
    assert "Deze week gratis bezorging van alles voor je kat." in page
    assert CAT_HERO not in page
    assert CAT_HERO in client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_catalogue_facets_show_no_stemmed_words(client, shop):
    """Whoosh splits and stems a text field: Oscar's "Type" facet over the product class
    "Pet supplies" read "pet (4)" and "suppli (4)"; the example leaves it out."""
    page = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Cat food 2 kg" in page  # Oscar's list, from its index
    assert "suppli" not in page and "pet (" not in page.lower()


def test_the_voucher_line_follows_the_pages_language(client, shop):
    """A visitor keeps his code when he switches language: the basket names it in the
    language of the page, not the one it was made in."""
    give_consent(client)
    add_to_basket(client, shop["products"]["Dog lead"])
    client.get(reverse("basket:summary"), HTTP_ACCEPT_LANGUAGE="en")  # made in English
    voucher = Voucher.objects.get()
    client.post(reverse("basket:vouchers-add"), {"code": voucher.code})

    dutch = client.get(reverse("basket:summary"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    english = client.get(reverse("basket:summary"),
                         HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f"10% korting, bon {voucher.pk} ({voucher.code})" in dutch
    assert "off, voucher" not in dutch
    assert f"10% off, voucher {voucher.pk} ({voucher.code})" in english
