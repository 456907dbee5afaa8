"""Departments, categories (a tree inside a department) and products."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

#: The catalogue's other language: its texts are kept in ``<field>_nl`` beside the English.
TRANSLATED_LANGUAGES = ("nl",)


def active_catalog_language() -> str | None:
    """The active language when the catalogue has texts in it ("nl"), else None (English)."""
    language = (get_language() or "").split("-")[0]
    return language if language in TRANSLATED_LANGUAGES else None


def localized(field: str) -> F | Coalesce:
    """A query expression for ``field`` in the active language: the Dutch column where it is
    filled in, the English one otherwise (for ordering and ``values_list``)."""
    language = active_catalog_language()
    if language is None:
        return F(field)
    return Coalesce(NullIf(F(f"{field}_{language}"), Value("")), F(field))


class Translated(models.Model):
    """Names and descriptions in the shop's languages: the English field, and a Dutch one
    (``name_nl``) shown while Dutch is the active language; an empty one shows the English."""

    class Meta:
        abstract = True

    def in_language(self, field: str) -> str:
        language = active_catalog_language()
        text = getattr(self, f"{field}_{language}", "") if language else ""
        return text or getattr(self, field)

    @property
    def display_name(self) -> str:
        return self.in_language("name")

    @property
    def display_description(self) -> str:
        return self.in_language("description")


class Department(Translated):
    """A top-level section of the shop (Pets, Farm & Stable, Fashion, Food)."""

    name = models.CharField(_("name"), max_length=100)
    name_nl = models.CharField(_("name (Dutch)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Departments are listed in this order.")
    )
    is_b2b = models.BooleanField(
        _("sold to businesses"),
        default=False,
        help_text=_("Products of this department are sold to business accounts only."),
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("department", kwargs={"slug": self.slug})

    def top_categories(self) -> models.QuerySet[Category]:
        return self.categories.filter(parent__isnull=True)


class Category(Translated):
    """A category of a department; ``parent`` nests it ("Cats" > "Cat litter")."""

    department = models.ForeignKey(
        Department,
        on_delete=models.CASCADE,
        related_name="categories",
        verbose_name=_("department"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
        help_text=_("Leave empty for a top-level category of the department."),
    )
    name = models.CharField(_("name"), max_length=100)
    name_nl = models.CharField(_("name (Dutch)"), max_length=100, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return " › ".join(c.display_name for c in self.ancestors())

    def get_absolute_url(self) -> str:
        return reverse("category", kwargs={"slug": self.slug})

    def ancestors(self) -> list[Category]:
        """The chain from the top-level category down to this one (inclusive)."""
        chain: list[Category] = []
        node: Category | None = self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def chain_ids(self) -> tuple[int, ...]:
        """Ids of this category and its ancestors, nearest first."""
        return tuple(c.pk for c in reversed(self.ancestors()))

    def descendant_ids(self) -> list[int]:
        """Ids of this category and every category below it."""
        ids = [self.pk]
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.extend(frontier)
        return ids


class ProductQuerySet(models.QuerySet):
    def active(self) -> ProductQuerySet:
        return self.filter(is_active=True)

    def in_categories(self, category: Category) -> ProductQuerySet:
        return self.filter(category_id__in=category.descendant_ids())

    def search(self, query: str) -> ProductQuerySet:
        """Products whose name, SKU, description or category matches every word of ``query``,
        in English or in Dutch ("kat", "kattenbakvulling"), whatever the page's language."""
        qs = self
        words = query.split()
        if not words:
            return qs.none()
        for word in words[:8]:
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(name_nl__icontains=word)
                | Q(sku__iexact=word)
                | Q(description__icontains=word)
                | Q(description_nl__icontains=word)
                | Q(category__name__icontains=word)
                | Q(category__name_nl__icontains=word)
                | Q(category__parent__name__icontains=word)
                | Q(category__parent__name_nl__icontains=word)
            )
        return qs


class Product(Translated):
    """Something the shop sells; ``is_b2b`` products need a business account to check out."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("category")
    )
    name = models.CharField(_("name"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    sku = models.CharField(
        _("SKU"), max_length=40, unique=True, help_text=_("Stock keeping unit.")
    )
    description = models.TextField(_("description"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, help_text=_("Unit price including VAT.")
    )
    stock = models.PositiveIntegerField(_("stock"), default=0, help_text=_("Units on hand."))
    is_b2b = models.BooleanField(
        _("business only"),
        default=False,
        help_text=_("Only users of a business (B2B) account can order this product."),
    )
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown on the home page.")
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive products are hidden from the shop.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("product", kwargs={"slug": self.slug})

    @property
    def image_url(self) -> str:
        """URL of the generated SVG placeholder image."""
        return reverse("product_image", kwargs={"slug": self.slug})

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def category_ids(self) -> tuple[int, ...]:
        """Ids of the product's category and its ancestors, nearest first."""
        return self.category.chain_ids
