"""What the staff API needs: the model's permissions for each method, "view" to read."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission, DjangoModelPermissions
from rest_framework.request import Request

_VIEW = ["%(app_label)s.view_%(model_name)s"]


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions (add to POST, change to PUT and PATCH, delete to DELETE),
    and "view" to read: DRF's own ask nothing for GET, so any staff login could read the
    segments' rules and the campaigns' content. OPTIONS describes the endpoint to those
    who may read it."""

    perms_map = {**DjangoModelPermissions.perms_map,
                 "GET": _VIEW, "HEAD": _VIEW, "OPTIONS": _VIEW}


class Needs(BasePermission):
    """The one permission a staff view states in ``needs`` (e.g.
    "personalization.view_campaign"), for every method it answers."""

    def has_permission(self, request: Request, view: Any) -> bool:
        self.message = f"This needs the permission {view.needs}."
        return bool(request.user.has_perm(view.needs))
