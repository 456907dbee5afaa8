"""Home, department, category, product and search pages, and the placeholder images."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from .images import product_svg
from .models import Category, Department, Product, localized

SEARCH_LIMIT = 60


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.prefetch_related("categories")
    featured = Product.objects.active().filter(is_featured=True).select_related("category")[:8]
    return render(
        request,
        "catalog/home.html",
        {"departments": departments, "featured_products": featured},
    )


@require_GET
@ensure_csrf_cookie
def headless(request: HttpRequest) -> HttpResponse:
    """The home page as a single-page storefront builds it: the browser asks the REST API
    what each slot shows (demo_shop/static/demo_shop/headless.js)."""
    return render(request, "catalog/headless.html")


@require_GET
def department(request: HttpRequest, slug: str) -> HttpResponse:
    dept = get_object_or_404(Department, slug=slug)
    categories = dept.top_categories().prefetch_related("children")
    products = (
        Product.objects.active()
        .filter(category__department=dept, is_featured=True)
        .select_related("category")[:8]
    )
    return render(
        request,
        "catalog/department.html",
        {"department": dept, "categories": categories, "products": products},
    )


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    current = get_object_or_404(
        Category.objects.select_related("department", "parent__parent"), slug=slug
    )
    request.shop_category = current  # read by the personalization adapter
    products = (
        Product.objects.active().in_categories(current).select_related("category")
        .order_by(localized("name"), "pk")
    )
    return render(
        request,
        "catalog/category.html",
        {
            "category": current,
            "shop_category": current,
            "department": current.department,
            "breadcrumbs": current.ancestors(),
            "subcategories": current.children.all(),
            "products": products,
        },
    )


@require_GET
def product(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(
        Product.objects.active().select_related("category__department", "category__parent"),
        slug=slug,
    )
    request.shop_category = item.category  # read by the personalization adapter
    related = (
        Product.objects.active()
        .filter(category=item.category)
        .exclude(pk=item.pk)
        .select_related("category")[:4]
    )
    return render(
        request,
        "catalog/product.html",
        {
            "product": item,
            "category": item.category,
            "shop_category": item.category,
            "department": item.category.department,
            "breadcrumbs": item.category.ancestors(),
            "related_products": related,
        },
    )


class SearchForm(forms.Form):
    q = forms.CharField(required=False)  # refuses NUL characters; strips whitespace


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"][:100] if form.is_valid() else ""  # NUL: no search
    results = (
        Product.objects.active().search(query).select_related("category")
        .order_by(localized("name"), "pk")
        if query
        else Product.objects.none()
    )
    results = list(results[:SEARCH_LIMIT])
    return render(
        request,
        "catalog/search.html",
        {"query": query, "results": results, "result_count": len(results)},
    )


@require_GET
def product_image(request: HttpRequest, slug: str) -> HttpResponse:
    item = get_object_or_404(
        Product.objects.select_related("category__parent__parent"), slug=slug
    )
    response = HttpResponse(product_svg(item), content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
