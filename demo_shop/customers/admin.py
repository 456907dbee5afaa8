"""Admin of sales reps, accounts and customer profiles (also inline on users)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Account, CustomerProfile, SalesRep


@admin.register(SalesRep)
class SalesRepAdmin(admin.ModelAdmin):
    list_display = ["name", "mobile", "email", "user"]
    search_fields = ["name", "email", "mobile"]
    raw_id_fields = ["user"]


class MemberInline(admin.TabularInline):
    model = CustomerProfile
    fields = ["user", "city", "country", "customer_group"]
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "sales_rep", "vat_number", "created_at"]
    list_filter = ["kind", "sales_rep"]
    search_fields = ["name", "vat_number"]
    inlines = [MemberInline]


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "city", "country", "customer_group"]
    list_filter = ["customer_group", "country", "account__kind"]
    search_fields = ["user__username", "user__email", "user__last_name", "city"]
    raw_id_fields = ["user", "account"]


class CustomerProfileInline(admin.StackedInline):
    model = CustomerProfile
    can_delete = False
    raw_id_fields = ["account"]


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ShopUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, CustomerProfileInline]
