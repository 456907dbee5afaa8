"""A parent saved with its polymorphic children (a segment's rules, a campaign's
variants): each child as ``{"type": "<model name>", ...fields}``, all saved or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction


def child_data(child: Any, internal: set[str]) -> dict[str, Any]:
    """A child as plain data: its type and its own fields."""
    out: dict[str, Any] = {"type": child._meta.model_name}
    for field in child._meta.concrete_fields:
        if field.name in internal or field.name.endswith("_ptr"):
            continue
        value = getattr(child, field.attname)
        out[field.name] = value if isinstance(value, (str, int, bool, list)) or value is None \
            else str(value)
    return out


class WithChildren:
    """For a ModelSerializer: ``children_field`` ("rules") holds the built children, saved
    with the parent in one transaction; sending them replaces them all."""

    children_field: str = ""
    parent_attr: str = ""

    def create(self, validated: dict[str, Any]) -> Any:
        children = validated.pop(self.children_field, [])
        with transaction.atomic():
            parent = super().create(validated)  # type: ignore[misc]
            self._save_children(parent, children)
        return parent

    def update(self, parent: Any, validated: dict[str, Any]) -> Any:
        children = validated.pop(self.children_field, None)
        with transaction.atomic():
            parent = super().update(parent, validated)  # type: ignore[misc]
            if children is not None:
                getattr(parent, self.children_field).all().delete()
                self._save_children(parent, children)
        return parent

    def _save_children(self, parent: Any, children: list[Any]) -> None:
        for child in children:
            setattr(child, self.parent_attr, parent)
            child.save()


def build_children(raw: list[dict[str, Any]], types: dict[str, Any], internal: set[str],
                   parent_attr: str, check: Callable[[Any], str],
                   renames: dict[str, str] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """The children described by ``raw``, each checked by its own model (``full_clean``)
    and by ``check`` (the parent's rule for it: "" when it fits); errors by position."""
    built, errors = [], {}
    for index, item in enumerate(raw):
        cls = types.get(str(item.get("type", "")))
        if cls is None:
            errors[str(index)] = [f"Unknown type {item.get('type')!r}."]
            continue
        fields = {f.name for f in cls._meta.concrete_fields} - internal
        unknown = sorted(set(item) - fields - {"type", "id"})
        if unknown:
            errors[str(index)] = [f"Not a field of {item['type']}: {', '.join(unknown)}."]
            continue
        values = {(renames or {}).get(k, k): v for k, v in item.items()
                  if k not in ("type", "id")}
        child = cls(**values)
        try:
            child.full_clean(exclude=[parent_attr])
        except DjangoValidationError as exc:
            errors[str(index)] = exc.messages
            continue
        problem = check(child)
        if problem:
            errors[str(index)] = [problem]
            continue
        built.append(child)
    return built, errors
