"""factory-boy factories for the demo shop's models and the app's own."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from demo_shop.catalog.models import Category, Department, Product
from demo_shop.customers.models import Account, CustomerProfile, SalesRep
from demo_shop.orders.models import DiscountCode, Order, OrderLine
from personalization.models import BannerVariant, Campaign, PopupVariant, Segment, Slot


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    description = "A fine product."
    price = Decimal("10.00")
    stock = 50


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("demo")


class SalesRepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesRep

    name = factory.Sequence(lambda n: f"Rep {n}")
    mobile = factory.Sequence(lambda n: f"+316{n:08d}")
    email = factory.Sequence(lambda n: f"rep{n}@example.com")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    kind = Account.Kind.B2C

    class Params:
        b2b = factory.Trait(kind=Account.Kind.B2B, sales_rep=factory.SubFactory(SalesRepFactory))


class CustomerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerProfile

    user = factory.SubFactory(UserFactory)
    city = "Utrecht"
    country = "NL"
    customer_group = "retail"


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountCode

    code = factory.Sequence(lambda n: f"CODE{n}")
    kind = DiscountCode.Kind.PERCENT
    value = Decimal("10")
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"DS-9{n:05d}")
    user = factory.SubFactory(UserFactory)
    subtotal = Decimal("10.00")
    total = Decimal("10.00")
    name = "Test Customer"
    email = "customer@example.com"
    address = "Dorpsstraat 1\nUtrecht"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.SelfAttribute("product.price")
    line_total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)


# -- the app's own models ------------------------------------------------------------------

class SlotFactory(factory.django.DjangoModelFactory):
    """A slot; the same key twice is the same slot."""

    class Meta:
        model = Slot
        django_get_or_create = ("key",)

    key = "home_hero"
    name = factory.LazyAttribute(lambda o: o.key)
    kind = "banner"


class SegmentFactory(factory.django.DjangoModelFactory):
    """A segment; ``rules=[CountryRule(countries=["NL"]), ...]`` (unsaved rules) become its
    rules in that order."""

    class Meta:
        model = Segment
        skip_postgeneration_save = True  # the rules are saved by the hook itself

    slug = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    match = "all"
    kind = "live"

    @factory.post_generation
    def rules(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for position, rule in enumerate(extracted or ()):
            rule.segment, rule.position = self, position
            rule.save()


class CampaignFactory(factory.django.DjangoModelFactory):
    """A live campaign. ``segments`` is its audience; ``variants`` the headlines (titles, for
    a popup slot) of its variants, one "A" unless given; ``weights`` their weights."""

    class Meta:
        model = Campaign

    slot = factory.SubFactory(SlotFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    status = "live"

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Campaign:
        segments = kwargs.pop("segments", ())
        headlines = kwargs.pop("variants", ("A",))
        weights = kwargs.pop("weights", None) or (1,) * len(headlines)
        campaign = super()._create(model_class, *args, **kwargs)
        if segments:
            campaign.segments.set(segments)
        for headline, weight in zip(headlines, weights, strict=True):
            if campaign.slot.kind == "popup":
                PopupVariantFactory(campaign=campaign, name=headline, title=headline,
                                    weight=weight)
            else:
                BannerVariantFactory(campaign=campaign, name=headline, headline=headline,
                                     weight=weight)
        return campaign


class BannerVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BannerVariant

    campaign = factory.SubFactory(CampaignFactory, variants=())
    name = factory.Sequence(lambda n: f"Banner {n}")
    headline = factory.LazyAttribute(lambda o: o.name)


class PopupVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PopupVariant

    campaign = factory.SubFactory(CampaignFactory, variants=(),
                                  slot=factory.SubFactory(SlotFactory, key="popup",
                                                          kind="popup"))
    name = factory.Sequence(lambda n: f"Popup {n}")
    title = factory.LazyAttribute(lambda o: o.name)
