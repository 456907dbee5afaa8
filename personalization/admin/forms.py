"""Admin forms and formsets: validation a merchant understands, before anything is saved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from polymorphic.formsets import BasePolymorphicInlineFormSet

from personalization.models import VARIANT_KINDS, Campaign, ContentVariant, Segment, Slot


class PolymorphicChildForm(forms.ModelForm):
    """A row of a polymorphic inline.

    The merchant picked the row's type from the "add" menu, which is a change in itself: a new
    row is never skipped as "empty", so a rule without fields (logged in) is saved and a rule
    left blank (no country) is reported instead of silently dropped.
    """

    def has_changed(self) -> bool:
        if self.is_bound and self.instance._state.adding:
            return True
        return super().has_changed()


def live_forms(formset: forms.BaseFormSet) -> list[forms.BaseForm]:
    """The formset's forms that will be saved: valid so far, not deleted, not empty."""
    result = []
    for form in formset.forms:
        if not hasattr(form, "cleaned_data"):
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if form.empty_permitted and not form.has_changed():
            continue
        result.append(form)
    return result


def _type_name(model: Any) -> str:
    return capfirst(str(model._meta.verbose_name))


class RuleFormSet(BasePolymorphicInlineFormSet):
    """The rules of a segment, checked together against the segment being edited."""

    def clean(self) -> None:
        super().clean()
        segment: Segment = self.instance
        rules = live_forms(self)
        for form in rules:
            problem = computed_rule_problem(segment, form.instance)
            if problem:
                form.add_error(None, problem)
        others = {form.cleaned_data["other"].pk for form in rules
                  if form.cleaned_data.get("other") is not None}
        problem = cycle_problem(segment, others)
        if problem:
            raise ValidationError(problem)


def computed_rule_problem(segment: Segment, rule: Any) -> str:
    """Why ``rule`` cannot be in ``segment`` (a computed segment cannot read the request),
    or "" (shared by the admin and the API, so both say the same)."""
    if segment.kind == Segment.Kind.COMPUTED and not rule.computable:
        return _("“%(rule)s” depends on the visitor's current request, so it cannot be "
                 "used in a computed segment. Make the segment live or remove this rule."
                 ) % {"rule": _type_name(rule)}
    if segment.kind == Segment.Kind.COMPUTED and type(rule).__name__ != "InSegmentRule":
        # What this shop's adapter cannot answer (no order history, no customer groups)
        # is said now, not found out by a refresh that fails in the background.
        from personalization.engine.sets import CustomerSet

        try:
            rule.customer_filter(CustomerSet())
        except (ValueError, NotImplementedError) as exc:
            return _("“%(rule)s” cannot be computed for this shop: %(reason)s") % {
                "rule": _type_name(rule), "reason": exc}
    return ""


def cycle_problem(segment: Segment, other_ids: set[int]) -> str:
    """Why these "in another segment" rules cannot be in ``segment`` (it would contain
    itself), or ""."""
    if segment.pk and other_ids and _reaches(other_ids, segment.pk):
        return _("These rules make the segment contain itself through other segments "
                 "(“in another segment” rules refer back to this one). Remove one of them.")
    return ""


def _reaches(start: set[int], target: int) -> bool:
    """Whether ``target`` is reachable from the ``start`` segments via in-segment rules."""
    from personalization.rules import InSegmentRule

    seen: set[int] = set()
    frontier = set(start)
    while frontier:
        if target in frontier:
            return True
        seen |= frontier
        frontier = set(InSegmentRule.objects.filter(segment_id__in=frontier)
                       .values_list("other_id", flat=True)) - seen
    return False


class VariantFormSet(BasePolymorphicInlineFormSet):
    """The variants of a campaign, checked against the slot chosen in the same form."""

    def clean(self) -> None:
        super().clean()
        campaign: Campaign = self.instance
        variants = live_forms(self)
        slot = campaign.slot if campaign.slot_id else None
        for form in variants:
            problem = variant_kind_problem(slot, form.instance)
            if problem:
                form.add_error(None, problem)
        problem = weights_problem([form.cleaned_data.get("weight") for form in variants])
        if problem:
            raise ValidationError(problem)


def variant_kind_problem(slot: Slot | None, variant: Any) -> str:
    """Why ``variant`` cannot be shown in ``slot`` (its kind), or "" (admin and API)."""
    if slot is None or variant.slot_kind == slot.kind:
        return ""
    wanted = VARIANT_KINDS.get(slot.kind)
    return _("A %(variant)s cannot be shown in a %(kind)s slot; choose a %(wanted)s variant "
             "or another slot.") % {
        "variant": _type_name(variant), "kind": str(slot.get_kind_display()).lower(),
        "wanted": _type_name(wanted) if wanted else _("matching")}


def weights_problem(weights: list[Any]) -> str:
    """Why these variant weights cannot be saved (they add up to 0), or ""."""
    if weights and None not in weights and sum(weights) == 0:
        return _("The variant weights add up to 0: give at least one variant a weight "
                 "above 0.")
    return ""


class SlotForm(forms.ModelForm):
    """A slot whose kind cannot change under campaigns holding content of the old kind."""

    class Meta:
        model = Slot
        fields = ["key", "name", "kind", "description"]

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        slot = self.instance
        if slot.pk and kind != slot.kind:
            from personalization.models import ContentVariant

            used = ContentVariant.objects.filter(campaign__slot=slot).exists()
            if used:
                raise ValidationError(_(
                    "Campaigns of this slot have %(kind)s content. Move or archive them "
                    "before changing the slot's kind.") % {
                    "kind": str(slot.get_kind_display()).lower()})
        return kind


class PromoteForm(forms.Form):
    """Promote one variant of a running experiment to everybody. Without a winner verdict
    for it the merchant must say so explicitly and give a reason, recorded on the run."""

    keep_holdout = forms.BooleanField(
        label=gettext_lazy("Keep the holdout"), required=False,
        help_text=gettext_lazy("A new run then measures the winner against it."))
    without_verdict = forms.BooleanField(
        label=gettext_lazy("Promote although the report names no winner"), required=False)
    reason = forms.CharField(
        label=gettext_lazy("Why"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=gettext_lazy("Recorded on the run and shown in its history, e.g. 'the brand "
                               "team prefers it; the difference is too small to matter'."))

    def __init__(self, *args: Any, is_winner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_winner = is_winner
        if is_winner:
            del self.fields["without_verdict"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.is_winner:
            if not data.get("without_verdict"):
                self.add_error("without_verdict", _(
                    "The report names no winner: tick this to promote anyway."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Say why you promote it without a winner "
                                           "verdict."))
        return data


def other_languages() -> list[tuple[str, str]]:
    """The shop's languages besides its default: a variant's texts can be given in each.

    Those of ``settings.LANGUAGES`` when the shop narrowed it; while it is Django's default
    (about 99 languages, a dozen fields each), only those some variant already has texts
    in, so a one-language shop's form has none (docs/decisions.md)."""
    from django.conf import global_settings

    default = settings.LANGUAGE_CODE.split("-")[0]
    languages = list(settings.LANGUAGES)
    if languages == list(global_settings.LANGUAGES):
        used = _languages_in_variants()
        languages = [(code, name) for code, name in languages if code in used]
    return [(code, str(name)) for code, name in languages
            if code.split("-")[0] != default]


def _languages_in_variants() -> set[str]:
    found: set[str] = set()
    for texts in (ContentVariant.objects.non_polymorphic().exclude(translations={})
                  .values_list("translations", flat=True)):
        found.update(texts or {})
    return found


def translated_form(model: type, base: type, languages: list[tuple[str, str]]) -> type:
    """``base`` with a field per language of ``languages`` for each of the model's
    translatable texts ("Headline (Nederlands)"), read from and written to the variant's
    ``translations``."""
    extra: dict[str, Any] = {}
    for code, language in languages:
        for name in model.translatable:
            field = model._meta.get_field(name)
            extra[f"{name}__{code}"] = forms.CharField(
                label=f"{capfirst(field.verbose_name)} ({language})", required=False,
                max_length=getattr(field, "max_length", None),
                widget=forms.Textarea(attrs={"rows": 3}) if field.get_internal_type()
                == "TextField" else forms.TextInput(attrs={"class": "vTextField"}),
                help_text=_("Shown to visitors browsing in %(language)s; empty: the text "
                            "above.") % {"language": language})

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        for code, texts in (self.instance.translations or {}).items():
            for name, text in texts.items():
                if f"{name}__{code}" in self.fields:
                    self.initial.setdefault(f"{name}__{code}", text)

    def clean(self: Any) -> dict[str, Any]:
        data = base.clean(self)
        # Languages without a field here (Django's default LANGUAGES) keep their texts.
        self.instance.translations = {
            **(self.instance.translations or {}),
            **{code: {name: (data.get(f"{name}__{code}") or "").strip()
                      for name in model.translatable}
               for code, _language in languages}}
        return data

    return type(f"{model.__name__}Form", (base,), {
        **extra, "__init__": __init__, "clean": clean, "__module__": __name__})
