"""The JSON view that feeds the catalogue autocomplete (``personalization.widgets``)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from personalization.adapters import get_adapter

KINDS = ("product", "category")


def catalog_lookup_view(request: HttpRequest) -> JsonResponse:
    """``?kind=product|category&term=...``: matching names, in select2's format (its URL,
    in SegmentAdmin.get_urls, needs the permission to change segments or campaigns)."""
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        return JsonResponse({"error": "kind must be product or category"}, status=400)
    term = request.GET.get("term", "").replace("\x00", "")[:100]
    found = get_adapter().search_catalog(kind, term, limit=20)
    return JsonResponse({"results": [{"id": str(pk), "text": name} for pk, name in found],
                         "pagination": {"more": False}})
