"""The seed as plain data: people, accounts, discount codes and a year of orders (no database)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import slugify

from demo_shop.customers.personas import PERSONAS

from .catalog_data import CATALOG, CategorySpec

SEED = 42
CENT = Decimal("0.01")


@dataclass
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    city: str = ""
    country: str = "NL"
    group: str = "retail"
    account: str = ""  # name of a B2B account
    date_of_birth: date | None = None
    is_staff: bool = False


@dataclass(frozen=True)
class AccountSpec:
    name: str
    rep: str
    vat_number: str = ""


@dataclass(frozen=True)
class RepSpec:
    name: str
    mobile: str
    email: str
    username: str = ""


@dataclass(frozen=True)
class CodeSpec:
    code: str
    kind: str  # "percent" | "amount"
    value: str
    valid_from_days: int  # days relative to today (negative: in the past)
    valid_until_days: int | None = None
    single_use: bool = False
    max_uses: int | None = None
    minimum_total: str | None = None
    assigned_to: str = ""
    description: str = ""

    def amount_off(self, subtotal: Decimal) -> Decimal:
        value = Decimal(self.value)
        if self.kind == "percent":
            off = (subtotal * value / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        else:
            off = value
        return min(off, subtotal)


@dataclass
class OrderPlan:
    username: str
    days_ago: int
    minute_of_day: int
    lines: list[tuple[str, int]]
    code: str = ""
    placed_by: str = ""  # username; empty means the customer
    number: str = ""
    status: str = "completed"
    extra: dict = field(default_factory=dict)


REPS = (
    RepSpec("Pieter Mulder", "+31612345678", "pieter@example.com", "pieter"),
    RepSpec("Sanne de Boer", "+31687654321", "sanne@example.com"),
    RepSpec("Koen Peeters", "+32470123456", "koen@example.com"),
)

CODES = (
    CodeSpec("WELCOME10", "percent", "10", -400, description="10% off, for everyone"),
    CodeSpec("SAVE5", "amount", "5.00", -400, minimum_total="30.00", max_uses=5000,
             description="€5 off orders from €30"),
    CodeSpec("PIZZA20", "percent", "20", -200, 60, description="Pizza weeks: 20% off"),
    CodeSpec("SUMMER10", "percent", "10", -330, -240, description="Summer sale (ended)"),
    CodeSpec("EXPIRED15", "percent", "15", -100, -10, description="Autumn sale (ended)"),
    CodeSpec("BRAM-VIP15", "percent", "15", -60, 300, single_use=True, max_uses=1,
             assigned_to="bram", description="Personal code for Bram"),
    CodeSpec("ONCE25", "percent", "25", -30, 60, single_use=True, max_uses=1,
             description="One-time 25% off"),
)

FIRST_NAMES = (
    "Daan Sem Lucas Levi Finn Noah Milan Bram Luuk Thijs Jesse Ruben Stijn Lars Gijs Tim "
    "Emma Julia Mila Sophie Tess Zoë Sara Anna Eva Fleur Lotte Noor Iris Femke Sanne Lieke "
    "Maarten Wouter Joost Koen Hanna Marloes Ingrid Karin Hendrik Willem Geert Jeroen"
).split()
LAST_NAMES = (
    "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|"
    "Mulder|de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|"
    "de Graaf|van der Meer|Kok|Jacobs|Peeters|Maes|Willems|Claes|Müller|Schmidt|Schneider|"
    "Fischer|Dubois|Lefèvre|Huisman|Postma|Kuipers|Veenstra|Wouters|Hoekstra|Kramer"
).split("|")
CITIES = {
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen", "Zwolle", "Leeuwarden",
           "Barneveld", "Apeldoorn", "Tilburg", "Nijmegen", "Haarlem"),
    "BE": ("Antwerpen", "Gent", "Brugge", "Leuven", "Hasselt"),
    "DE": ("Köln", "Düsseldorf", "Münster", "Hamburg"),
    "FR": ("Lille", "Paris", "Lyon"),
}
COUNTRY_WEIGHTS = (("NL", 60), ("BE", 20), ("DE", 15), ("FR", 5))
FARM_WORDS = ("Hoeve", "Boerderij", "Melkveebedrijf", "Varkenshouderij", "Maatschap", "Agrarisch")
INTERESTS = {
    "cats": ("cat-litter", "litter-boxes", "litter-scoops", "cat-food"),
    "dogs": ("dog-food", "leads"),
    "fashion": ("t-shirts", "cardigans", "jeans"),
    "food": ("pizzas", "toppings"),
}


def _walk(categories: tuple[CategorySpec, ...]):
    for cat in categories:
        yield cat
        yield from _walk(cat.children)


def products_by_category() -> dict[str, list[tuple[str, Decimal]]]:
    """Category slug -> [(product slug, price)] of the catalog data."""
    result: dict[str, list[tuple[str, Decimal]]] = {}
    for dept in CATALOG:
        for cat in _walk(dept.categories):
            result[cat.slug] = [(slugify(p.name), Decimal(p.price)) for p in cat.products]
    return result


def price_list() -> dict[str, Decimal]:
    return {slug: price for items in products_by_category().values() for slug, price in items}


def _persona(username: str, **extra) -> PersonSpec:
    p = next(p for p in PERSONAS if p.username == username)
    return PersonSpec(p.username, p.first_name, p.last_name, **extra)


def persona_people() -> list[PersonSpec]:
    return [
        _persona("anna", city="Utrecht", date_of_birth=date(1988, 4, 12)),
        _persona("jan", city="Barneveld", group="farm", account="Hoeve De Vries",
                 date_of_birth=date(1971, 9, 3)),
        _persona("lisa", city="Rotterdam", date_of_birth=date(1995, 1, 27)),
        _persona("tom", city="Amsterdam", date_of_birth=date(1999, 6, 8)),
        _persona("bram", city="Eindhoven", date_of_birth=date(1983, 11, 19)),
        _persona("eva", city="Leiden", date_of_birth=date(1990, 2, 14)),
        PersonSpec("marieke", "Marieke", "de Vries", "Barneveld", group="farm",
                   account="Hoeve De Vries"),
        PersonSpec("pieter", "Pieter", "Mulder", "Ede", group="staff", is_staff=True),
    ]


def persona_orders() -> list[OrderPlan]:
    plans: list[OrderPlan] = []
    cat_foods = ("adult-cat-dry-food-chicken-2-kg", "adult-cat-dry-food-salmon-2-kg",
                 "wet-cat-food-pouches-12-85-g")
    for i in range(12):  # anna: cat litter and cat food every month, never dog food
        lines = [("clumping-cat-litter-10-l", 2), (cat_foods[i % 3], 1 + (i % 3 == 2))]
        if i % 4 == 1:
            lines.append(("cat-treats-tuna-60-g", 3))
        if i == 11:
            lines.append(("covered-litter-box-with-filter", 1))
        plans.append(OrderPlan("anna", 12 + 30 * i, 19 * 60 + 5 * i, lines))
    for i in range(6):  # eva: a cat owner like anna, who said no to personalization
        plans.append(OrderPlan("eva", 20 + 35 * i, 17 * 60 + 10 * i,
                               [("clumping-cat-litter-20-l", 1), (cat_foods[i % 3], 2)]))
    usual = [("injection-needles-12-25-mm-100", 2), ("pig-grower-pellets-25-kg", 10),
             ("piglet-starter-feed-20-kg", 6), ("mineral-lick-block-10-kg", 4)]
    for i in range(18):  # jan: the same supplies every three weeks, some entered by his rep
        plans.append(OrderPlan("jan", 5 + 21 * i, 7 * 60 + 30, list(usual),
                               placed_by="pieter" if i % 3 == 2 else ""))
    plans.append(OrderPlan("marieke", 200, 10 * 60, [("stable-boots-pvc-size-43", 2)]))
    for days in (350, 310, 265, 220, 175, 131):  # lisa: pizzas, nothing for four months
        plans.append(OrderPlan("lisa", days, 18 * 60 + 30,
                               [("pizza-margherita", 2), ("pizza-pepperoni", 1),
                                ("garlic-dip", 2)]))
    plans.append(OrderPlan("tom", 75, 12 * 60, [("basic-t-shirt-white", 2),
                                                ("basic-t-shirt-black", 1)]))
    plans.append(OrderPlan("tom", 28, 21 * 60, [("striped-t-shirt-navy", 1),
                                                ("graphic-t-shirt-cat-print", 1),
                                                ("slim-fit-jeans-dark-blue", 1)]))
    bram = [
        (300, "SUMMER10", [("adult-dog-kibble-lamb-12-kg", 1), ("dog-chews-beef-10-pcs", 2)]),
        (220, "WELCOME10", [("straight-fit-jeans-mid-blue", 1), ("v-neck-t-shirt-grey", 2)]),
        (150, "SAVE5", [("pizza-quattro-formaggi", 2), ("pizza-funghi", 1)]),
        (90, "PIZZA20", [("pizza-hawaii", 2), ("extra-mozzarella", 2)]),
        (40, "BRAM-VIP15", [("retractable-dog-lead-5-m", 1), ("adult-dog-kibble-lamb-12-kg", 1)]),
    ]
    for days, code, lines in bram:  # bram: never without a discount code
        plans.append(OrderPlan("bram", days, 20 * 60 + 15, lines, code=code))
    return plans


def synthetic(count: int) -> tuple[list[PersonSpec], list[AccountSpec], list[OrderPlan]]:
    """``count`` customers with a year of orders; the same ``count`` gives the same data."""
    rng = random.Random(SEED)
    catalog = products_by_category()
    farm = ("injection-needles", "boots", "piglet-scales", "hoof-knives", "feed")
    farm_products = [slug for c in farm for slug, _price in catalog[c]]
    people: list[PersonSpec] = []
    accounts: list[AccountSpec] = []
    plans: list[OrderPlan] = []
    countries, weights = zip(*COUNTRY_WEIGHTS, strict=True)
    open_account: tuple[str, int] | None = None  # (name, members) of the last farm account
    for n in range(1, count + 1):
        username = f"customer{n:03d}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country = rng.choices(countries, weights)[0]
        person = PersonSpec(username, first, last, rng.choice(CITIES[country]), country)
        if rng.random() < 0.15:  # a farm business (B2B)
            person.group = "farm"
            if open_account and open_account[1] < 3 and rng.random() < 0.3:
                person.account = open_account[0]
                open_account = (open_account[0], open_account[1] + 1)
            else:
                name = f"{rng.choice(FARM_WORDS)} {last} {n:03d}"
                vat = f"{country}{rng.randrange(10**8, 10**9)}B01" if country == "NL" else ""
                accounts.append(AccountSpec(name, rng.choice(REPS).name, vat))
                person.account, open_account = name, (name, 1)
            rep_user = next(r.username for r in REPS if r.name == _rep_of(accounts, person))
            usual = [(slug, rng.choice((1, 2, 5, 10)))
                     for slug in rng.sample(farm_products, rng.randint(3, 4))]
            interval = rng.randint(14, 42)
            days = rng.randint(1, interval)
            while days < 365:
                lines = list(usual)
                if rng.random() < 0.3:
                    lines.append((rng.choice(farm_products), rng.randint(1, 3)))
                placed_by = rep_user if rep_user and rng.random() < 0.25 else ""
                plans.append(OrderPlan(username, days, rng.randint(7 * 60, 17 * 60), lines,
                                       placed_by=placed_by))
                days += interval + rng.randint(-3, 3)
        else:
            person.group = "vip" if rng.random() < 0.15 else "retail"
            person.date_of_birth = (
                date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.7 else None
            )
            interests = rng.sample(sorted(INTERESTS), rng.randint(1, 2))
            bargain = rng.random() < 0.2
            n_orders = rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 12))
            for _i in range(n_orders):
                lines: dict[str, int] = {}
                for _j in range(rng.randint(1, 4)):
                    interest = rng.choice(interests) if rng.random() < 0.9 else rng.choice(
                        sorted(INTERESTS))
                    slug, _price = rng.choice(catalog[rng.choice(INTERESTS[interest])])
                    lines[slug] = lines.get(slug, 0) + rng.randint(1, 3)
                days = rng.randint(1, 364)
                code = ""
                if bargain and rng.random() < 0.6:
                    code = rng.choice(("WELCOME10", "SAVE5", "PIZZA20" if days <= 200 else
                                       "WELCOME10"))
                plans.append(OrderPlan(username, days, rng.randint(8 * 60, 22 * 60),
                                       sorted(lines.items()), code=code))
        people.append(person)
    for plan in plans:
        if plan.days_ago > 14 and rng.random() < 0.02:
            plan.status = "cancelled"
    return people, accounts, plans


def _rep_of(accounts: list[AccountSpec], person: PersonSpec) -> str:
    return next(a.rep for a in accounts if a.name == person.account)


#: The week's bestseller, for the social-proof line on its product page.
BESTSELLER = "pizza-margherita"
BESTSELLER_MAX_ORDERS = 40


def this_week(people: list[PersonSpec]) -> list[OrderPlan]:
    """Pizza Margherita (often with garlic dip) ordered by many consumers in the last six
    days: "bought N times this week" on its page, and a co-purchase pair."""
    buyers = [p for p in people if p.group != "farm" and p.username.startswith("customer")]
    plans = []
    for i, person in enumerate(buyers[:BESTSELLER_MAX_ORDERS]):
        lines = [(BESTSELLER, 1 + i % 2)]
        if i % 3 != 2:
            lines.append(("garlic-dip", 1 + i % 2))
        plans.append(OrderPlan(person.username, 1 + i % 6, 17 * 60 + (i * 7) % 240, lines))
    return plans


def build(customers: int) -> tuple[list[PersonSpec], list[AccountSpec], list[OrderPlan]]:
    """Every person, account and order of the seed, orders numbered oldest first (the
    week's bestseller orders have their own series, DSW-, added after the first ones)."""
    people, accounts, plans = synthetic(customers)
    people = persona_people() + people
    accounts = [AccountSpec("Hoeve De Vries", "Pieter Mulder", "NL001234567B01"), *accounts]
    plans = persona_orders() + plans
    plans.sort(key=lambda p: (-p.days_ago, p.minute_of_day, p.username))
    for i, plan in enumerate(plans, start=1):
        plan.number = f"DS-{i:06d}"
    for i, plan in enumerate(this_week(people), start=1):
        plan.number = f"DSW-{i:05d}"
        plans.append(plan)
    prices = price_list()
    codes = {c.code: c for c in CODES}
    for plan in plans:
        if plan.status != "cancelled":
            plan.status = ("completed" if plan.days_ago > 14 else
                           "shipped" if plan.days_ago > 3 else "paid")
        subtotal = sum((prices[slug] * qty for slug, qty in plan.lines), Decimal("0.00"))
        spec = codes.get(plan.code)
        if spec and spec.minimum_total and subtotal < Decimal(spec.minimum_total):
            plan.code, spec = "", None
        discount = spec.amount_off(subtotal) if spec else Decimal("0.00")
        plan.extra = {"subtotal": subtotal, "discount": discount, "total": subtotal - discount}
    return people, accounts, plans
