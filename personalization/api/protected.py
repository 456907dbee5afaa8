"""Deleting what other objects still use (a slot with campaigns, a segment a journey is
aimed at): a 409 that names them, as the admin's "Cannot delete" page does."""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException

from personalization.api.schema import OpenApiTypes, extend_schema


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def users_of(exc: ProtectedError) -> list[dict[str, Any]]:
    """The objects that keep one from being deleted, as data."""
    return sorted(({"type": obj._meta.model_name, "id": obj.pk, "name": str(obj)}
                   for obj in exc.protected_objects), key=lambda u: (u["type"], u["id"]))


class ProtectedDelete:
    """For a ModelViewSet: a delete that the database's PROTECT refuses answers 409 with
    ``detail`` (naming what uses the object) and ``used_by`` (type, id, name of each)."""

    @extend_schema(responses={204: None, 409: OpenApiTypes.OBJECT})
    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().destroy(request, *args, **kwargs)  # type: ignore[misc]

    def perform_destroy(self, instance: Any) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            users = sorted(f"{obj._meta.verbose_name} “{obj}”"
                           for obj in exc.protected_objects)
            raise Conflict({
                "detail": _("%(object)s is used by %(users)s: delete those or change them "
                            "first.") % {
                    "object": f"{capfirst(instance._meta.verbose_name)} “{instance}”",
                    "users": ", ".join(users)},
                "used_by": users_of(exc)}) from None
