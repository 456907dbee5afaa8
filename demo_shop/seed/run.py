"""Write the seed to the database: only rows whose natural key is missing are created."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from demo_shop.catalog.models import Category, Department, Product
from demo_shop.customers.models import Account, CustomerProfile, SalesRep
from demo_shop.customers.personas import PERSONA_PASSWORD
from demo_shop.orders.models import DiscountCode, Order, OrderLine

from . import plan as seed_plan
from .bandit import seed_bandit
from .catalog_data import (
    CATALOG,
    DUTCH_CATEGORIES,
    DUTCH_DEPARTMENTS,
    DUTCH_PRODUCTS,
    CategorySpec,
)
from .consent import seed_consent, seed_profiles
from .history import seed_history
from .journeys import seed_journeys
from .personalization import seed_personalization  # noqa: E402

DEFAULT_CUSTOMERS = 400
BATCH = 500


def seed(customers: int = DEFAULT_CUSTOMERS, log: Callable[[str], None] = print,
         history: bool = True) -> Counter:
    """Create whatever of the demo data is missing; returns how many rows of each were created."""
    created: Counter = Counter()
    people, accounts, plans = seed_plan.build(customers)
    today = timezone.localdate()
    with transaction.atomic():
        _catalog(created)
        reps = _reps(created)
        users = _users(people, created)
        account_map = _accounts(accounts, reps, created)
        _profiles(people, users, account_map, created)
        _codes(plans, users, today, created)
        _orders(plans, users, account_map, today, created)
        seed_personalization(created)
        seed_consent(users, created)
        seed_journeys(users, created)
        seed_profiles(users, created)
        if history:
            seed_history(created)
            seed_bandit(created)
    _estimate_reach()
    summary = ", ".join(f"{count} {name}" for name, count in created.items() if count)
    log(f"Seeded: {summary}." if summary else "Nothing to do: the demo data is already there.")
    return created


def _estimate_reach() -> None:
    """What the beat task would do: every segment's reach, so the admin shows it at once."""
    from personalization.jobs.reach import estimate_reach, segment_ids

    for pk in segment_ids():
        estimate_reach(pk)


def _catalog(created: Counter) -> None:
    existing = set(Product.objects.values_list("slug", flat=True))
    new_products: list[Product] = []
    for position, spec in enumerate(CATALOG):
        dept, made = Department.objects.get_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "name_nl": DUTCH_DEPARTMENTS.get(spec.slug, ""),
                      "position": position, "is_b2b": spec.is_b2b},
        )
        created["departments"] += made
        for cat_position, cat_spec in enumerate(spec.categories):
            _category(dept, None, cat_spec, cat_position, spec.is_b2b, existing, new_products,
                      created)
    Product.objects.bulk_create(new_products, batch_size=BATCH)
    created["products"] += len(new_products)
    _dutch_for_older_seeds()


def _dutch_for_older_seeds() -> None:
    """A demo seeded before the catalogue had Dutch gets its Dutch names and descriptions
    (rows whose Dutch name is still empty; a merchant's own Dutch is kept)."""
    for dept in Department.objects.filter(name_nl="", slug__in=DUTCH_DEPARTMENTS):
        dept.name_nl = DUTCH_DEPARTMENTS[dept.slug]
        dept.save(update_fields=["name_nl"])
    for category in Category.objects.filter(name_nl="", slug__in=DUTCH_CATEGORIES):
        category.name_nl, category.description_nl = DUTCH_CATEGORIES[category.slug]
        category.save(update_fields=["name_nl", "description_nl"])
    products = list(Product.objects.filter(name_nl="", name__in=DUTCH_PRODUCTS)
                    .select_related("category"))
    for product in products:
        product.name_nl = DUTCH_PRODUCTS[product.name]
        product.description_nl = _describe_nl(product.name_nl, product.category,
                                              product.is_b2b)
    Product.objects.bulk_update(products, ["name_nl", "description_nl"], batch_size=BATCH)


def _category(dept: Department, parent: Category | None, spec: CategorySpec, position: int,
              is_b2b: bool, existing: set[str], new_products: list[Product],
              created: Counter) -> None:
    name_nl, description_nl = DUTCH_CATEGORIES.get(spec.slug, ("", ""))
    category, made = Category.objects.get_or_create(
        slug=spec.slug,
        defaults={"department": dept, "parent": parent, "name": spec.name,
                  "description": spec.description, "name_nl": name_nl,
                  "description_nl": description_nl, "position": position},
    )
    created["categories"] += made
    for i, product in enumerate(spec.products, start=1):
        slug = slugify(product.name)
        if slug in existing:
            continue
        existing.add(slug)
        dutch = DUTCH_PRODUCTS.get(product.name, "")
        new_products.append(Product(
            category=category, name=product.name, slug=slug, sku=f"{spec.sku_prefix}-{i:03d}",
            description=product.description or _describe(product.name, spec, is_b2b),
            name_nl=dutch,
            description_nl=_describe_nl(dutch, category, is_b2b) if dutch else "",
            price=Decimal(product.price), stock=product.stock, is_b2b=is_b2b,
            is_featured=product.featured,
        ))
    for child_position, child in enumerate(spec.children):
        _category(dept, category, child, child_position, is_b2b, existing, new_products, created)


def _describe(name: str, spec: CategorySpec, is_b2b: bool) -> str:
    text = f"{name}. {spec.description}"
    if is_b2b:
        text += " Delivered to your farm; sold to business customers."
    return text


def _describe_nl(name: str, category: Category, is_b2b: bool) -> str:
    text = f"{name}. {category.description_nl}".strip()
    if is_b2b:
        text += " Bezorgd op je boerderij; alleen voor zakelijke klanten."
    return text


def _reps(created: Counter) -> dict[str, SalesRep]:
    reps = {rep.name: rep for rep in SalesRep.objects.all()}
    for spec in seed_plan.REPS:
        if spec.name not in reps:
            reps[spec.name] = SalesRep.objects.create(
                name=spec.name, mobile=spec.mobile, email=spec.email
            )
            created["sales reps"] += 1
    return reps


def _users(people: list[seed_plan.PersonSpec], created: Counter) -> dict:
    User = get_user_model()
    existing = set(User.objects.values_list("username", flat=True))
    if "admin" not in existing:  # demo only: admin/admin
        User.objects.create_superuser("admin", "admin@example.com", "admin")
        created["users"] += 1
    joined = timezone.now().replace(microsecond=0) - timedelta(days=400)
    missing = [p for p in people if p.username not in existing]
    if missing:
        password = make_password(PERSONA_PASSWORD)  # hashed once: hundreds of users stay fast
        User.objects.bulk_create(
            [User(username=p.username, first_name=p.first_name, last_name=p.last_name,
                  email=f"{p.username}@example.com", is_staff=p.is_staff, password=password,
                  date_joined=joined) for p in missing],
            batch_size=BATCH,
        )
        created["users"] += len(missing)
    users = User.objects.in_bulk([p.username for p in people] + ["admin"], field_name="username")
    for spec in seed_plan.REPS:
        if spec.username:
            rep = SalesRep.objects.get(name=spec.name)
            if rep.user_id is None:
                rep.user = users[spec.username]
                rep.save(update_fields=["user"])
    return users


def _accounts(accounts: list[seed_plan.AccountSpec], reps: dict[str, SalesRep],
              created: Counter) -> dict[str, Account]:
    existing = set(Account.objects.values_list("name", flat=True))
    missing = [
        Account(name=a.name, kind=Account.Kind.B2B, sales_rep=reps[a.rep], vat_number=a.vat_number)
        for a in accounts if a.name not in existing
    ]
    Account.objects.bulk_create(missing, batch_size=BATCH)
    created["accounts"] += len(missing)
    return {a.name: a for a in Account.objects.filter(name__in=[a.name for a in accounts])}


def _profiles(people: list[seed_plan.PersonSpec], users: dict, accounts: dict[str, Account],
              created: Counter) -> None:
    has_profile = set(CustomerProfile.objects.values_list("user__username", flat=True))
    missing = [
        CustomerProfile(user=users[p.username], account=accounts.get(p.account), city=p.city,
                        country=p.country, customer_group=p.group, date_of_birth=p.date_of_birth)
        for p in people if p.username not in has_profile
    ]
    CustomerProfile.objects.bulk_create(missing, batch_size=BATCH)
    created["profiles"] += len(missing)


def _at(today, days: int, minute_of_day: int = 0) -> datetime:
    moment = datetime.combine(today + timedelta(days=days), time(minute_of_day // 60,
                                                                 minute_of_day % 60))
    return timezone.make_aware(moment)


def _codes(plans: list[seed_plan.OrderPlan], users: dict, today, created: Counter) -> None:
    uses = Counter(p.code for p in plans if p.code)
    existing = {c.upper() for c in DiscountCode.objects.values_list("code", flat=True)}
    for spec in seed_plan.CODES:
        if spec.code in existing:
            continue
        DiscountCode.objects.create(
            code=spec.code, kind=spec.kind, value=Decimal(spec.value),
            description=spec.description, valid_from=_at(today, spec.valid_from_days),
            valid_until=(None if spec.valid_until_days is None
                         else _at(today, spec.valid_until_days)),
            single_use=spec.single_use, max_uses=spec.max_uses, times_used=uses[spec.code],
            minimum_total=Decimal(spec.minimum_total) if spec.minimum_total else None,
            assigned_to=users.get(spec.assigned_to) if spec.assigned_to else None,
        )
        created["discount codes"] += 1


def _orders(plans: list[seed_plan.OrderPlan], users: dict, accounts: dict[str, Account],
            today, created: Counter) -> None:
    existing = set(
        Order.objects.filter(number__in=[p.number for p in plans]).values_list("number", flat=True)
    )
    missing = [p for p in plans if p.number not in existing]
    if not missing:
        return
    profiles = {
        prof.user_id: prof for prof in CustomerProfile.objects.select_related("account")
    }
    orders = []
    for p in missing:
        user = users[p.username]
        profile = profiles.get(user.pk)
        account = profile.account if profile and profile.account_id else None
        orders.append(Order(
            number=p.number, user=user, account=account,
            placed_by=users[p.placed_by] if p.placed_by else user,
            channel=Order.Channel.REP if p.placed_by else Order.Channel.ONLINE,
            status=p.status, name=user.get_full_name(), email=user.email,
            address=f"Dorpsstraat {zlib.crc32(p.username.encode()) % 90 + 1}\n"
                    f"{profile.city if profile else ''}",
            subtotal=p.extra["subtotal"], discount=p.extra["discount"], total=p.extra["total"],
            discount_code=p.code, created_at=_at(today, -p.days_ago, p.minute_of_day),
        ))
    Order.objects.bulk_create(orders, batch_size=BATCH)
    created["orders"] += len(orders)
    order_ids = dict(
        Order.objects.filter(number__in=[p.number for p in missing]).values_list("number", "pk")
    )
    products = dict(Product.objects.values_list("slug", "pk"))
    prices = seed_plan.price_list()
    lines = [
        OrderLine(order_id=order_ids[p.number], product_id=products[slug], quantity=qty,
                  unit_price=prices[slug], line_total=prices[slug] * qty)
        for p in missing for slug, qty in p.lines
    ]
    OrderLine.objects.bulk_create(lines, batch_size=BATCH * 2)
    created["order lines"] += len(lines)
