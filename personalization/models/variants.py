"""Content variants: what a campaign shows (banner, popup, discount, products, text)."""

from __future__ import annotations

import copy
import os
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

from personalization.fields import CatalogIdsField, ImageUploadField, MoneyField
from personalization.html import placeholders, sanitize
from personalization.images import prepare_image, validate_image
from personalization.models.campaigns import SlotKind


class ContentVariant(PolymorphicModel):
    """One version of a campaign's content. Visitors are split over variants by weight."""

    campaign = models.ForeignKey("personalization.Campaign", on_delete=models.CASCADE,
                                 related_name="variants", verbose_name=_("campaign"))
    #: Per language, this variant's texts in that language: {"nl": {"headline": "…"}}. A
    #: visitor browsing in a language shows its texts; a field left empty falls back.
    translations = models.JSONField(_("translations"), default=dict, blank=True,
                                    editable=False)
    #: The text fields a merchant can give per language (each variant kind names its own).
    translatable: ClassVar[tuple[str, ...]] = ()
    name = models.CharField(_("name"), max_length=120, blank=True,
                            help_text=_("For reports, e.g. 'A: photo' or 'B: illustration'."))
    weight = models.PositiveIntegerField(
        _("weight"), default=1,
        help_text=_("Relative share of visitors: weights 1 and 3 give 25% and 75%."))

    #: The slot kind this variant can fill.
    slot_kind: ClassVar[str] = ""
    template_name: ClassVar[str] = ""
    #: Text fields sanitised on save.
    html_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        verbose_name = _("content variant")
        verbose_name_plural = _("content variants")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or f"{self._meta.verbose_name} #{self.pk}"

    def clean_fields(self, exclude=None):
        super().clean_fields(exclude)
        if "translations" not in (exclude or ()):
            problem = self.translations_problem(self.translations)
            if problem:
                raise ValidationError({"translations": problem})

    @classmethod
    def translations_problem(cls, value: object) -> str:
        """Why ``value`` is not ``{language: {field: text}}`` for this kind, or ""."""
        if not isinstance(value, dict):
            return _("Translations are an object: {language: {field: text}}.")
        for language, texts in value.items():
            if not isinstance(texts, dict) or not (0 < len(language) <= 15):
                return _("Translations are an object: {language: {field: text}}.")
            for name, text in texts.items():
                if name not in cls.translatable:
                    return _("%(field)s is not a text that can be translated here; these "
                             "can: %(fields)s.") % {"field": name,
                                                    "fields": ", ".join(cls.translatable)}
                if not isinstance(text, str):
                    return _("The translation of %(field)s is not a text.") % {
                        "field": name}
        return ""

    def save(self, *args, **kwargs):
        for name in self.html_fields:
            setattr(self, name, sanitize(getattr(self, name)))
        self.translations = {
            language: {name: sanitize(text) if name in self.html_fields else text
                       for name, text in texts.items() if name in self.translatable and text}
            for language, texts in (self.translations or {}).items()}
        self.translations = {k: v for k, v in self.translations.items() if v}
        super().save(*args, **kwargs)

    def in_language(self, language: str | None) -> ContentVariant:
        """This variant with its texts in ``language`` (or its base language: nl for
        nl-be) where the merchant gave them; itself when he gave none."""
        if not self.translations or not language:
            return self
        language = language.lower()
        texts = self.translations.get(language) or self.translations.get(
            language.split("-")[0])
        if not texts:
            return self
        translated = copy.copy(self)
        for name, text in texts.items():
            if name in self.translatable and text:
                setattr(translated, name, text)
        return translated


#: Where uploaded banner and popup images go in the project's default storage.
IMAGE_UPLOAD_TO = "personalization/variants/%Y/%m/"


def image_field() -> ImageUploadField:
    """A banner's or popup's uploaded image, checked by ``validate_image``."""
    return ImageUploadField(
        _("image"), upload_to=IMAGE_UPLOAD_TO, max_length=255, blank=True,
        validators=[validate_image],
        help_text=_("JPEG, PNG, WebP or GIF. Shown instead of the image URL when both are "
                    "given."))


def image_size_field(verbose_name: str) -> models.PositiveIntegerField:
    """An upload's width or height in pixels, measured when it is stored."""
    return models.PositiveIntegerField(verbose_name, null=True, blank=True, editable=False)


class WithImage:
    """A variant with an image by URL or uploaded (``image``); the upload wins. An upload
    is checked, stored under its real format's extension, shrunk when Pillow is there, and
    measured, so the page reserves its space before it loads."""

    image: FieldFile
    image_url: str
    image_width: int | None
    image_height: int | None

    @property
    def image_src(self) -> str:
        """The address the page shows: the upload's, else the URL given."""
        return self.image.url if self.image else self.image_url

    @property
    def image_sized(self) -> bool:
        """Whether the shown image's width and height are known (only an upload's are)."""
        return bool(self.image and self.image_width and self.image_height)

    def save(self, *args, **kwargs):
        before = (type(self).objects.filter(pk=self.pk).values_list("image", flat=True).first()
                  if self.pk else None)
        if not self.image:
            self.image_width = self.image_height = None
        elif not self.image._committed:  # a new upload
            stem = os.path.splitext(os.path.basename(self.image.name))[0]
            content, info = prepare_image(self.image, stem)
            self.image = content
            self.image_width, self.image_height = info.width, info.height
        super().save(*args, **kwargs)  # type: ignore[misc]
        if before and before != self.image.name:  # replaced or cleared: the old file goes
            forget_upload(before, self.image.storage)


def forget_upload(name: str, storage) -> None:
    """Delete an uploaded image from storage once the transaction that stopped using it has
    committed, unless another variant still shows it (a copied campaign shares its file)."""

    def delete() -> None:
        if not any(model.objects.filter(image=name).exists()
                   for model in (BannerVariant, PopupVariant)):
            storage.delete(name)

    transaction.on_commit(delete)


def forget_deleted_upload(sender: type, instance: WithImage, **kwargs) -> None:
    """post_delete: a deleted banner's or popup's upload goes with it."""
    if instance.image:
        forget_upload(instance.image.name, instance.image.storage)


class BannerVariant(WithImage, ContentVariant):
    """A banner: image, headline, body, call to action and link."""

    translatable = ("headline", "body", "cta_label", "image_alt")

    image_url = models.CharField(_("image URL"), max_length=500, blank=True,
                                 help_text=_("Absolute URL or a path on this site."))
    image = image_field()
    image_width = image_size_field(_("image width"))
    image_height = image_size_field(_("image height"))
    image_alt = models.CharField(_("image description"), max_length=200, blank=True,
                                 help_text=_("Alternative text for screen readers."))
    headline = models.CharField(_("headline"), max_length=200)
    body = models.TextField(_("body"), blank=True,
                            help_text=_("Short text; simple HTML (bold, links, lists) allowed."))
    cta_label = models.CharField(_("button text"), max_length=60, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True,
                            help_text=_("Where the banner leads, e.g. /category/litter-scoops/."))

    slot_kind = SlotKind.BANNER
    template_name = "personalization/variants/banner.html"
    html_fields = ("body",)

    class Meta:
        verbose_name = _("banner")
        verbose_name_plural = _("banners")

    def clean(self):
        if self.cta_label and not self.link:
            raise ValidationError({"link": _("A button needs a link.")})
        if self.link.lower().lstrip().startswith(("javascript:", "data:")):
            raise ValidationError({"link": _("Links must be web addresses or paths.")})


class PopupVariant(WithImage, ContentVariant):
    """A dismissible dialog that opens on a trigger."""

    translatable = ("title", "body", "cta_label", "image_alt")

    class Trigger(models.TextChoices):
        LOAD = "load", _("When the page loads")
        DELAY = "delay", _("After some seconds")
        EXIT = "exit", _("When the visitor is about to leave (exit intent)")
        SCROLL = "scroll", _("After scrolling part of the page")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True, help_text=_("Simple HTML allowed."))
    image_url = models.CharField(_("image URL"), max_length=500, blank=True)
    image = image_field()
    image_width = image_size_field(_("image width"))
    image_height = image_size_field(_("image height"))
    image_alt = models.CharField(_("image description"), max_length=200, blank=True,
                                 help_text=_("Alternative text for screen readers."))
    cta_label = models.CharField(_("button text"), max_length=60, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    trigger = models.CharField(_("opens"), max_length=10, choices=Trigger.choices,
                               default=Trigger.LOAD)
    delay_seconds = models.PositiveSmallIntegerField(
        _("delay (seconds)"), default=5, validators=[MaxValueValidator(600)])
    scroll_percent = models.PositiveSmallIntegerField(
        _("scroll depth (%)"), default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)])
    dismissible = models.BooleanField(_("can be closed"), default=True)

    slot_kind = SlotKind.POPUP
    template_name = "personalization/variants/popup.html"
    html_fields = ("body",)

    class Meta:
        verbose_name = _("popup")
        verbose_name_plural = _("popups")

    def clean(self):
        if self.cta_label and not self.link:
            raise ValidationError({"link": _("A button needs a link.")})
        if self.link.lower().lstrip().startswith(("javascript:", "data:")):
            raise ValidationError({"link": _("Links must be web addresses or paths.")})


class DiscountVariant(ContentVariant):
    """A discount code prefilled at checkout: a fixed code or one generated per visitor."""

    translatable = ("message",)

    class Mode(models.TextChoices):
        FIXED = "fixed", _("The same code for everybody")
        GENERATED = "generated", _("A single-use code per visitor, made in the shop")

    mode = models.CharField(_("code"), max_length=10, choices=Mode.choices,
                            default=Mode.FIXED)
    code = models.CharField(_("fixed code"), max_length=40, blank=True,
                            help_text=_("A code that exists in the shop's discount list."))
    percent = models.DecimalField(_("percent off"), max_digits=5, decimal_places=2, null=True,
                                  blank=True,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    amount = MoneyField(_("amount off"), max_digits=10, null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("valid for days"), default=14)
    message = models.CharField(_("message"), max_length=300, blank=True,
                               help_text=_("Shown next to the code, e.g. 'We missed you!'."))

    slot_kind = SlotKind.DISCOUNT
    template_name = "personalization/variants/discount.html"

    class Meta:
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")

    def clean(self):
        if self.mode == self.Mode.FIXED and not self.code.strip():
            raise ValidationError({"code": _("Enter the code to prefill.")})
        if self.mode == self.Mode.GENERATED and (self.percent is None) == (self.amount is None):
            raise ValidationError(_("For generated codes give either a percentage or an "
                                    "amount off."))


class ProductListVariant(ContentVariant):
    """A list of products chosen by a strategy."""

    translatable = ("title",)

    class Strategy(models.TextChoices):
        BUY_AGAIN = "buy_again", _("Buy again (the customer's usual order)")
        BOUGHT_TOGETHER = "bought_together", _("Frequently bought together")
        POPULAR_IN_SEGMENT = "popular_in_segment", _("Popular in the visitor's segment")
        AFFINITY_SORT = "affinity_sort", _("Re-sort the page's list by the visitor's interests")
        MANUAL = "manual", _("A fixed list")

    title = models.CharField(_("title"), max_length=200, blank=True)
    strategy = models.CharField(_("strategy"), max_length=20, choices=Strategy.choices,
                                default=Strategy.MANUAL)
    product_ids = CatalogIdsField(_("products"), kind="product", blank=True,
                                  help_text=_("Product ids for a fixed list, comma-separated."))
    limit = models.PositiveSmallIntegerField(
        _("number of products"), default=4,
        validators=[MinValueValidator(1), MaxValueValidator(48)])

    slot_kind = SlotKind.PRODUCT_LIST
    template_name = "personalization/variants/product_list.html"

    class Meta:
        verbose_name = _("product list")
        verbose_name_plural = _("product lists")

    def clean(self):
        if self.strategy == self.Strategy.MANUAL and not self.product_ids:
            raise ValidationError({"product_ids": _("A fixed list needs products.")})


class TextVariant(ContentVariant):
    """Text with safe field insertion, e.g. "Hallo {{ first_name }}"."""

    translatable = ("text", "fallback")

    text = models.TextField(
        _("text"),
        help_text=_("Simple HTML allowed. Insert customer fields as {{ first_name }}; the "
                    "allowed fields are listed in the documentation."))
    fallback = models.TextField(
        _("text when a field is unknown"), blank=True,
        help_text=_("Shown instead when an inserted field has no value for the visitor. "
                    "Empty: the slot's default content."))

    slot_kind = SlotKind.TEXT
    template_name = "personalization/variants/text.html"
    html_fields = ("text", "fallback")

    class Meta:
        verbose_name = _("text")
        verbose_name_plural = _("texts")

    def clean(self):
        from personalization.conf import app_settings

        allowed = set(app_settings.TEXT_FIELDS)
        texts = [self.text, self.fallback, *(
            text for t in (self.translations or {}).values() for text in t.values())]
        unknown = sorted({p for text in texts for p in placeholders(text) if p not in allowed})
        if unknown:
            raise ValidationError({"text": _(
                "Unknown field %(fields)s. Allowed: %(allowed)s.") % {
                "fields": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))}})


VARIANT_KINDS: dict[str, type[ContentVariant]] = {
    cls.slot_kind: cls
    for cls in (BannerVariant, PopupVariant, DiscountVariant, ProductListVariant, TextVariant)
}


class IssuedCode(models.Model):
    """A single-use discount code made for one visitor: he keeps getting the same code on
    every page, in every process, after a cache flush, until it expires."""

    variant = models.ForeignKey(DiscountVariant, on_delete=models.CASCADE,
                                related_name="issued_codes", verbose_name=_("variant"))
    visitor_id = models.UUIDField(_("visitor id"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+", verbose_name=_("customer"))
    code = models.CharField(_("code"), max_length=64)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    #: When an order placed with it reached the app: from then on the visitor is offered
    #: no code by this variant (single use means once, not a new code per order).
    used_at = models.DateTimeField(_("used on an order"), null=True, blank=True)

    class Meta:
        verbose_name = _("issued discount code")
        verbose_name_plural = _("issued discount codes")
        constraints = [models.UniqueConstraint(fields=["variant", "visitor_id"],
                                               name="pz_one_code_per_visitor")]

    def __str__(self) -> str:
        return self.code


def connect_signals() -> None:
    for model in (BannerVariant, PopupVariant):
        models.signals.post_delete.connect(forget_deleted_upload, sender=model,
                                           dispatch_uid=f"pz-forget-upload-{model.__name__}")
