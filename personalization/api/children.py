"""A parent saved with its polymorphic children (a segment's rules, a campaign's
variants): each child as ``{"type": "<model name>", ...fields}``, all saved or none.

When a parent is changed, a child sent with its ``id`` is that child, changed in place (it
keeps its id, so a variant keeps its events and reports); one without is added; one not
sent is deleted."""

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
        # JSON stays JSON (a variant's translations), so what is read can be sent back.
        out[field.name] = value if isinstance(value, (str, int, bool, list, dict)) \
            or value is None else str(value)
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
                kept = [child.pk for child in children if child.pk is not None]
                getattr(parent, self.children_field).exclude(pk__in=kept).delete()
                self._save_children(parent, children)
        return parent

    def existing_children(self) -> dict[int, Any] | None:
        """The children of the parent being changed, by id (None when one is created)."""
        instance = getattr(self, "instance", None)
        if instance is None:
            return None
        return {child.pk: child for child in getattr(instance, self.children_field).all()}

    def _save_children(self, parent: Any, children: list[Any]) -> None:
        for child in children:
            setattr(child, self.parent_attr, parent)
            child.save()


def build_children(raw: list[dict[str, Any]], types: dict[str, Any], internal: set[str],
                   parent_attr: str, check: Callable[[Any], str],
                   renames: dict[str, str] | None = None,
                   existing: dict[int, Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
    """The children described by ``raw``, each checked by its own model (``full_clean``)
    and by ``check`` (the parent's rule for it: "" when it fits); errors by position.
    ``existing``: the children of the parent being changed, by id (None: a new parent,
    whose children are all new, ids or not)."""
    built, errors, seen = [], {}, set()
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
        pk = item.get("id")
        if existing is not None and pk is not None:
            child = existing.get(pk) if type(pk) is int else None
            if child is None or pk in seen:
                errors[str(index)] = [f"No {item['type']} with id {pk!r} here, or sent twice; "
                                      "leave the id out to add one."]
                continue
            if type(child) is not cls:
                errors[str(index)] = [f"{pk} is a {child._meta.model_name}: a type cannot "
                                      "change (leave the id out to add a new one)."]
                continue
            seen.add(pk)
            for name, value in values.items():
                setattr(child, name, value)
        else:
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
