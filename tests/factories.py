"""factory-boy factories for the demo shop's models and every model of the app.

A factory's defaults are the model's own plus what its row needs; a test names what it is
about. tests/test_factories.py fails when a model of the app has no factory here."""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from demo_shop.catalog.models import Category, Department, Product
from demo_shop.customers.models import Account, CustomerProfile, SalesRep
from demo_shop.orders.models import DiscountCode, Order, OrderLine
from personalization import rules
from personalization.models import (
    BanditUpdate,
    BannerVariant,
    Campaign,
    ConsentPurpose,
    ConsentRecord,
    DailyRollup,
    DiscountVariant,
    Event,
    ExperimentRun,
    IssuedCode,
    Journey,
    JourneyMessage,
    KpiSnapshot,
    OutboxMessage,
    PopupVariant,
    ProductAffinity,
    ProductListVariant,
    RecordedOrder,
    RepAlertSettings,
    RepNotification,
    Segment,
    SegmentMembership,
    Slot,
    TextVariant,
    VisitorAlias,
    VisitorProfile,
)


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


def _campaign_of_kind(kind: str) -> factory.SubFactory:
    """A new campaign (without variants) in the slot of that kind whose key is the kind."""
    return factory.SubFactory(CampaignFactory, variants=(),
                              slot=factory.SubFactory(SlotFactory, key=kind, kind=kind))


class DiscountVariantFactory(factory.django.DjangoModelFactory):
    """A fixed discount code; ``mode="generated", percent=...`` mints one per visitor."""

    class Meta:
        model = DiscountVariant

    campaign = _campaign_of_kind("discount")
    code = "WELCOME10"


class ProductListVariantFactory(factory.django.DjangoModelFactory):
    """The products popular in the visitor's segment (``strategy="manual",
    product_ids=[...]`` for a fixed list)."""

    class Meta:
        model = ProductListVariant

    campaign = _campaign_of_kind("product_list")
    strategy = ProductListVariant.Strategy.POPULAR_IN_SEGMENT


class TextVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TextVariant

    campaign = _campaign_of_kind("text")
    text = "Hello"


class IssuedCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssuedCode

    variant = factory.SubFactory(DiscountVariantFactory, mode="generated", code="",
                                 percent=Decimal("10"))
    visitor_id = factory.LazyFunction(uuid.uuid4)
    code = factory.Sequence(lambda n: f"PZ-{n:06d}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class SegmentMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SegmentMembership

    segment = factory.SubFactory(SegmentFactory, kind="computed")
    user = factory.SubFactory(UserFactory)


class ExperimentRunFactory(factory.django.DjangoModelFactory):
    """A run going on since now, without a holdout."""

    class Meta:
        model = ExperimentRun

    campaign = factory.SubFactory(CampaignFactory)
    number = 1
    started_at = factory.LazyFunction(timezone.now)
    holdout_percent = 0
    weights = factory.LazyAttribute(lambda o: {
        str(pk): weight for pk, weight in o.campaign.variants.values_list("pk", "weight")})


class DailyRollupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyRollup

    run = factory.SubFactory(ExperimentRunFactory)
    day = factory.LazyFunction(timezone.localdate)


class KpiSnapshotFactory(factory.django.DjangoModelFactory):
    """The overall snapshot of a week: this week's first, then a week earlier each time."""

    class Meta:
        model = KpiSnapshot

    week = factory.Sequence(lambda n: (
        timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7 * n)))
    rfm = factory.LazyFunction(lambda: {str(score): 0 for score in range(1, 16)})


class BanditUpdateFactory(factory.django.DjangoModelFactory):
    """Equal weights for the run's variants, from no visitors yet."""

    class Meta:
        model = BanditUpdate

    run = factory.SubFactory(ExperimentRunFactory, allocation="bandit")
    at = factory.LazyFunction(timezone.now)
    phase = BanditUpdate.Phase.EXPLORING
    weights = factory.LazyAttribute(lambda o: {
        str(pk): 1 / len(ids) for ids in [o.run.campaign.variants.values_list("pk", flat=True)]
        for pk in ids})
    figures = factory.LazyAttribute(lambda o: {
        pk: {"visitors": 0, "successes": 0} for pk in o.weights})


class EventFactory(factory.django.DjangoModelFactory):
    """An impression of a new visitor (of no campaign unless one is given)."""

    class Meta:
        model = Event

    visitor_id = factory.LazyFunction(uuid.uuid4)
    type = Event.Type.IMPRESSION


class RecordedOrderFactory(factory.django.DjangoModelFactory):
    """An order whose conversions were recorded."""

    class Meta:
        model = RecordedOrder

    reference = factory.Sequence(lambda n: f"DS-{n:06d}")


class VisitorProfileFactory(factory.django.DjangoModelFactory):
    """An anonymous visitor's profile; ``user=...`` makes it a customer's."""

    class Meta:
        model = VisitorProfile


class VisitorAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitorAlias

    alias = factory.LazyFunction(uuid.uuid4)
    profile = factory.SubFactory(VisitorProfileFactory)


class ProductAffinityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductAffinity

    product_id = factory.Sequence(lambda n: 2 * n + 1)
    other_id = factory.Sequence(lambda n: 2 * n + 2)
    count = 1


class ConsentPurposeFactory(factory.django.DjangoModelFactory):
    """A purpose; the same key twice (or a shipped one's) is the same purpose."""

    class Meta:
        model = ConsentPurpose
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"purpose-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").capitalize())


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    """A new visitor's consent to personalization, given in the banner."""

    class Meta:
        model = ConsentRecord

    visitor_id = factory.LazyFunction(uuid.uuid4)
    purpose = "personalization"
    granted = True
    policy_version = "1"
    source = ConsentRecord.Source.BANNER


class JourneyFactory(factory.django.DjangoModelFactory):
    """A cart journey by e-mail, disabled as a new one is (``enabled=True`` to send)."""

    class Meta:
        model = Journey

    name = factory.Sequence(lambda n: f"Journey {n}")
    trigger = Journey.Trigger.CART_ABANDONED
    body = "Hi {{ first_name }}, your cart is waiting: {{ cart_link }}"


class JourneyMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JourneyMessage

    journey = factory.SubFactory(JourneyFactory)
    user = factory.SubFactory(UserFactory)
    occurrence = factory.Sequence(lambda n: f"cart:{1_700_000_000 + n}")
    channel = factory.SelfAttribute("journey.channel")
    to = factory.SelfAttribute("user.email")


class RepAlertSettingsFactory(factory.django.DjangoModelFactory):
    """The one settings row, changed to the values given (created when there is none)."""

    class Meta:
        model = RepAlertSettings

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> RepAlertSettings:
        obj = model_class(*args, **kwargs)
        obj.save()  # the row is a singleton: save() inserts or updates pk 1
        return obj


class RepNotificationFactory(factory.django.DjangoModelFactory):
    """A queued SMS to a rep about an order, due now."""

    class Meta:
        model = RepNotification

    order_reference = factory.Sequence(lambda n: f"DS-{n:06d}")
    rep_reference = "1"
    rep_name = "Pieter Mulder"
    phone = "+31612345678"
    send_after = factory.LazyFunction(timezone.now)


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """Work for a worker: by default recording an order's conversions."""

    class Meta:
        model = OutboxMessage

    function = "personalization.measurement.orders.record_order"
    kwargs = factory.Sequence(lambda n: {
        "user_id": None, "visitor_id": str(uuid.uuid4()), "value": "12.50",
        "reference": f"DS-{n:06d}", "allowed": ["analytics"]})


# -- rule types: one factory each; ``.build(...)`` gives an unsaved rule for
# ``SegmentFactory(rules=[...])`` or for ``matches(make_context(...))`` ------------------------

class RuleFactory(factory.django.DjangoModelFactory):
    """What every rule type's factory shares: a (new) segment to belong to."""

    class Meta:
        model = rules.Rule
        abstract = True

    segment = factory.SubFactory(SegmentFactory)


def _new_product_unless(other: str) -> factory.Maybe:
    """The id of a new product, unless the test gives ids in the ``other`` field instead."""
    return factory.Maybe(other, yes_declaration=factory.LazyFunction(list),
                         no_declaration=factory.LazyFunction(lambda: [str(ProductFactory().pk)]))


def _new_category() -> factory.LazyFunction:
    return factory.LazyFunction(lambda: [str(CategoryFactory().pk)])


def _minimum_unless_maximum(minimum: Any) -> factory.LazyAttribute:
    """A range's lower bound ``minimum``, unless the test gives the upper bound alone."""
    return factory.LazyAttribute(lambda o: minimum if o.maximum is None else None)


class CartValueRuleFactory(RuleFactory):
    class Meta:
        model = rules.CartValueRule

    maximum = None
    minimum = _minimum_unless_maximum(Decimal("50.00"))


class CartContainsRuleFactory(RuleFactory):
    class Meta:
        model = rules.CartContainsRule

    category_ids = factory.LazyFunction(list)
    product_ids = _new_product_unless("category_ids")


class CartAbandonedRuleFactory(RuleFactory):
    class Meta:
        model = rules.CartAbandonedRule


class PurchasedRuleFactory(RuleFactory):
    class Meta:
        model = rules.PurchasedRule

    category_ids = factory.LazyFunction(list)
    product_ids = _new_product_unless("category_ids")


class OrderCountRuleFactory(RuleFactory):
    class Meta:
        model = rules.OrderCountRule

    maximum = None
    minimum = _minimum_unless_maximum(1)


class TotalSpentRuleFactory(RuleFactory):
    class Meta:
        model = rules.TotalSpentRule

    maximum = None
    minimum = _minimum_unless_maximum(Decimal("100.00"))


class AverageOrderValueRuleFactory(RuleFactory):
    class Meta:
        model = rules.AverageOrderValueRule

    maximum = None
    minimum = _minimum_unless_maximum(Decimal("50.00"))


class DaysSinceLastOrderRuleFactory(RuleFactory):
    class Meta:
        model = rules.DaysSinceLastOrderRule

    maximum = None
    minimum = _minimum_unless_maximum(30)


class RFMScoreRuleFactory(RuleFactory):
    class Meta:
        model = rules.RFMScoreRule

    maximum = None
    minimum = _minimum_unless_maximum(12)


class UsedDiscountCodeRuleFactory(RuleFactory):
    class Meta:
        model = rules.UsedDiscountCodeRule


class CustomerGroupRuleFactory(RuleFactory):
    class Meta:
        model = rules.CustomerGroupRule

    groups = factory.LazyFunction(lambda: ["retail"])


class CategoryAffinityRuleFactory(RuleFactory):
    class Meta:
        model = rules.CategoryAffinityRule

    category_ids = _new_category()


class TemperatureRuleFactory(RuleFactory):
    class Meta:
        model = rules.TemperatureRule

    maximum = None
    minimum = _minimum_unless_maximum(Decimal("20.0"))


class WeatherRuleFactory(RuleFactory):
    class Meta:
        model = rules.WeatherRule

    conditions = factory.LazyFunction(lambda: ["rain"])


class InSegmentRuleFactory(RuleFactory):
    class Meta:
        model = rules.InSegmentRule

    other = factory.SubFactory(SegmentFactory)


class WaffleFlagRuleFactory(RuleFactory):
    class Meta:
        model = rules.WaffleFlagRule

    flag = "beta"


class LoggedInRuleFactory(RuleFactory):
    class Meta:
        model = rules.LoggedInRule


class VisitCountRuleFactory(RuleFactory):
    """Returning visitors."""

    class Meta:
        model = rules.VisitCountRule

    maximum = None
    minimum = _minimum_unless_maximum(2)


class DeviceRuleFactory(RuleFactory):
    class Meta:
        model = rules.DeviceRule

    devices = factory.LazyFunction(lambda: ["mobile"])


class CountryRuleFactory(RuleFactory):
    class Meta:
        model = rules.CountryRule

    countries = factory.LazyFunction(lambda: ["NL"])


class LanguageRuleFactory(RuleFactory):
    class Meta:
        model = rules.LanguageRule

    languages = factory.LazyFunction(lambda: ["nl"])


class ReferrerClassRuleFactory(RuleFactory):
    class Meta:
        model = rules.ReferrerClassRule

    classes = factory.LazyFunction(lambda: ["search"])


class ReferrerPatternRuleFactory(RuleFactory):
    class Meta:
        model = rules.ReferrerPatternRule

    pattern = r"google\."


class UTMRuleFactory(RuleFactory):
    class Meta:
        model = rules.UTMRule

    values = factory.LazyFunction(lambda: ["newsletter"])


class QueryParameterRuleFactory(RuleFactory):
    class Meta:
        model = rules.QueryParameterRule

    name = "ref"


class PathRuleFactory(RuleFactory):
    class Meta:
        model = rules.PathRule

    pattern = "^/category/"


class CurrentCategoryRuleFactory(RuleFactory):
    class Meta:
        model = rules.CurrentCategoryRule

    category_ids = _new_category()


class TimeOfDayRuleFactory(RuleFactory):
    """The evening, 17:00 to 21:00."""

    class Meta:
        model = rules.TimeOfDayRule

    start = time(17)
    end = time(21)


class WeekdayRuleFactory(RuleFactory):
    """The weekend."""

    class Meta:
        model = rules.WeekdayRule

    weekdays = factory.LazyFunction(lambda: ["5", "6"])


class DateRangeRuleFactory(RuleFactory):
    """From today on."""

    class Meta:
        model = rules.DateRangeRule

    start_date = factory.LazyFunction(timezone.localdate)


def factory_for(model: type[Any]) -> type[factory.django.DjangoModelFactory]:
    """The factory above that makes ``model``, for a test that goes over several models."""
    for value in list(globals().values()):
        if (isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory)
                and not value._meta.abstract and value._meta.model is model):
            return value
    raise LookupError(f"tests/factories.py has no factory for {model.__name__}.")
