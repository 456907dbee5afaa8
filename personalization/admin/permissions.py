"""What each custom admin view needs, checked in one place: a view is added with
:func:`admin_url`, which states its permission for reading and for acting, and
docs/permissions.md lists them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path

#: "view", "change", "delete" or "add" on the admin's model (through its ``has_*_permission``,
#: which an admin may narrow), or a full permission such as "personalization.view_segment";
#: a tuple is any one of them.
Permission = str | tuple[str, ...]


def has_permission(model_admin: admin.ModelAdmin, request: HttpRequest,
                   permission: Permission, obj: Model | None = None) -> bool:
    """Whether the request's user holds ``permission`` (see :data:`Permission`)."""
    if isinstance(permission, tuple):
        return any(has_permission(model_admin, request, p, obj) for p in permission)
    if "." in permission:
        return request.user.has_perm(permission)
    check = getattr(model_admin, f"has_{permission}_permission")
    return bool(check(request) if permission == "add" else check(request, obj))


def require(model_admin: admin.ModelAdmin, request: HttpRequest, permission: Permission,
            obj: Model | None = None) -> None:
    """403 unless the user holds ``permission``: for a view's checks on one object."""
    if not has_permission(model_admin, request, permission, obj):
        raise PermissionDenied


def admin_url(route: str, model_admin: admin.ModelAdmin,
              view: Callable[..., HttpResponse], name: str, *, read: Permission = "view",
              act: Permission | None = None) -> URLPattern:
    """A custom admin URL of ``model_admin``: the admin's login, then ``read`` for GET and
    ``act`` for POST (without ``act`` a POST is a 405). ``view(request, **kwargs)`` may
    check more on the object it loads (:func:`require`).

    The permissions stay on the view as ``permissions`` ({"GET": ..., "POST": ...}), so
    tests/test_permissions.py can tell a URL that states them from one that does not."""
    needs: dict[str, Permission] = {"GET": read, "HEAD": read}
    if act is not None:
        needs["POST"] = act

    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in needs:
            return HttpResponseNotAllowed(sorted(needs))
        require(model_admin, request, needs[request.method])
        return view(request, *args, **kwargs)

    checked.permissions = needs  # type: ignore[attr-defined]
    return path(route, model_admin.admin_site.admin_view(checked), name=name)
