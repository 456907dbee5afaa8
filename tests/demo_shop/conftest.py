"""A small catalog, customers and helpers for the demo shop's tests."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from demo_shop.customers.models import Account
from tests.factories import (
    AccountFactory,
    CategoryFactory,
    CustomerProfileFactory,
    DepartmentFactory,
    ProductFactory,
    SalesRepFactory,
    UserFactory,
)


@pytest.fixture
def shop(db):
    """Pets > Cats > Cat litter / Litter boxes, and a B2B Farm & Stable department."""
    pets = DepartmentFactory(name="Pets", slug="pets")
    cats = CategoryFactory(department=pets, name="Cats", slug="cats")
    litter = CategoryFactory(department=pets, parent=cats, name="Cat litter", slug="cat-litter")
    boxes = CategoryFactory(department=pets, parent=cats, name="Litter boxes", slug="boxes")
    farm = DepartmentFactory(name="Farm & Stable", slug="farm", is_b2b=True)
    needles_cat = CategoryFactory(department=farm, name="Injection needles", slug="needles")
    return SimpleNamespace(
        pets=pets,
        cats=cats,
        litter_category=litter,
        litter=ProductFactory(
            category=litter, name="Clumping cat litter 10 L", slug="clumping-litter",
            price=Decimal("8.95"), stock=5,
        ),
        scoop=ProductFactory(
            category=litter, name="Litter scoop", slug="scoop", price=Decimal("6.00"), stock=10
        ),
        box=ProductFactory(
            category=boxes, name="Corner litter box", slug="corner-box", price=Decimal("22.50"),
            stock=0,
        ),
        needles=ProductFactory(
            category=needles_cat, name="Injection needles (100)", slug="needles-100",
            price=Decimal("14.50"), stock=100, is_b2b=True,
        ),
    )


@pytest.fixture
def customer(db):
    user = UserFactory(username="anna", first_name="Anna", last_name="Jansen")
    CustomerProfileFactory(user=user)
    return user


@pytest.fixture
def farmer(db):
    rep = SalesRepFactory(name="Pieter Mulder", mobile="+31612345678")
    account = AccountFactory(name="Hoeve De Vries", kind=Account.Kind.B2B, sales_rep=rep)
    user = UserFactory(username="jan", first_name="Jan", last_name="de Vries")
    CustomerProfileFactory(user=user, account=account, customer_group="farm")
    return user
