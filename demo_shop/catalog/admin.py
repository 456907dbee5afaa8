"""Admin of departments, categories and products."""

from django.contrib import admin

from .models import Category, Department, Product


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ["name", "slug", "parent", "position"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0
    show_change_link = True


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "is_b2b"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CategoryInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "department", "slug", "position"]
    list_filter = ["department"]
    search_fields = ["name", "name_nl", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["department", "parent__parent"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "category", "price", "stock", "is_b2b", "is_featured",
                    "is_active"]
    list_editable = ["price", "stock"]
    list_filter = ["is_b2b", "is_featured", "is_active", "category__department", "category"]
    search_fields = ["name", "name_nl", "sku", "description", "description_nl"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["category"]
    list_select_related = ["category__parent"]
