"""Admin of orders (with their lines) and discount codes."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import DiscountCode, Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["product", "quantity", "unit_price", "line_total"]
    raw_id_fields = ["product"]
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "created_at", "user", "account", "channel", "status", "total",
                    "discount_code"]
    list_filter = ["status", "channel", "account__kind", "created_at"]
    search_fields = ["number", "user__username", "user__email", "user__last_name", "name",
                     "email", "account__name", "discount_code"]
    raw_id_fields = ["user", "account", "placed_by"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "account"]
    inlines = [OrderLineInline]


@admin.register(DiscountCode)
class DiscountCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "value", "valid_from", "valid_until", "single_use",
                    "times_used", "max_uses", "assigned_to", "active"]
    list_filter = ["active", "kind", "single_use"]
    search_fields = ["code", "description", "assigned_to__username"]
    raw_id_fields = ["assigned_to"]
    readonly_fields = ["times_used"]
    fieldsets = [
        (None, {"fields": ["code", "kind", "value", "description", "active"]}),
        (_("Validity"), {"fields": ["valid_from", "valid_until", "minimum_total",
                                    "assigned_to"]}),
        (_("Usage"), {"fields": ["single_use", "max_uses", "times_used"]}),
    ]
