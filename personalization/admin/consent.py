"""Admin for consent purposes (texts editable) and the consent log (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from personalization.admin.readonly import ReadOnlyMixin
from personalization.models import ConsentPurpose, ConsentRecord
from personalization.privacy.consent import SHIPPED

SHIPPED_KEYS = {row[0] for row in SHIPPED}


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "required", "position"]
    list_editable = ["position"]
    search_fields = ["key", "name", "description"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The shipped purposes are what the code checks: their keys and "required" stay.
        if obj is not None and obj.key in SHIPPED_KEYS:
            return ["key", "required"]
        return []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.key in SHIPPED_KEYS:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "purpose", "granted", "policy_version", "source", "user",
                    "visitor_id", "subject"]
    list_filter = ["purpose", "granted", "source", "policy_version"]
    search_fields = ["user__username", "visitor_id", "subject"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    verbose_name_plural = _("consent log")
