"""Cart, checkout and order pages."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from personalization.touchpoints.rendering import PREVIEW_CODE, prefilled_code

from .cart import MAX_QUANTITY, Cart, CartError
from .checkout import CheckoutError, b2b_error, may_view_order, place_order
from .discounts import validate_discount
from .forms import AddToCartForm, CheckoutForm, DiscountForm, UpdateCartForm
from .models import Order


def _back(request: HttpRequest, default: str = "cart") -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    discount, discount_error = cart.discount_validation()
    return render(
        request,
        "orders/cart.html",
        {
            "cart": cart,
            "lines": cart.lines(),
            "discount_code": discount,
            "discount_error": discount_error,
            "discount_form": DiscountForm(initial={"code": cart.discount_code}),
            "b2b_error": b2b_error(cart, request.user),
        },
    )


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a quantity between 1 and 999."))
        return _back(request)
    cart = Cart(request)
    try:
        cart.add(form.cleaned_data["product_id"], form.cleaned_data["quantity"])
    except CartError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(request, _("Added to your cart."))
    return _back(request)


@require_POST
def cart_add_all(request: HttpRequest) -> HttpResponse:
    """One click for several products: ``product_id`` and ``quantity`` repeated in pairs
    (the usual-order block of the home page)."""
    items = []
    for raw_id, raw_qty in zip(request.POST.getlist("product_id"),
                               request.POST.getlist("quantity"), strict=False):
        try:
            product_id, quantity = int(raw_id), int(raw_qty)
        except ValueError:
            continue
        if quantity > 0:
            items.append((product_id, min(quantity, MAX_QUANTITY)))
    if not items:
        messages.error(request, _("Choose at least one product."))
        return _back(request)
    errors = Cart(request).add_many(items)
    for error in errors:
        messages.error(request, error)
    added = len(items) - len(errors)
    if added:
        messages.success(request, ngettext("%(n)d product added to your cart.",
                                           "%(n)d products added to your cart.", added)
                         % {"n": added})
    return _back(request)


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    if "code" in request.POST:  # the discount form of the cart page
        form = DiscountForm(request.POST)
        if not form.is_valid() and "remove_code" not in request.POST:
            messages.error(request, " ".join(form.errors.get("code", [])))
            return redirect("cart")
        code = form.cleaned_data.get("code", "").strip()
        if "remove_code" in request.POST or not code:
            cart.remove_discount()
            messages.info(request, _("Discount code removed."))
        else:
            discount, error = cart.apply_discount(code)
            if discount:
                messages.success(
                    request,
                    _("Discount code “%(code)s” applied: %(what)s.")
                    % {"code": discount.code, "what": discount.describe()},
                )
            else:
                messages.error(request, error)
        return redirect("cart")
    form = UpdateCartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a quantity between 0 and 999."))
        return redirect("cart")
    try:
        cart.update(form.cleaned_data["product_id"], form.cleaned_data["quantity"])
    except CartError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your cart was updated."))
    return redirect("cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    try:
        product_id = int(request.POST.get("product_id", ""))
    except ValueError:
        return redirect("cart")
    Cart(request).remove(product_id)
    messages.info(request, _("The product was removed from your cart."))
    return redirect("cart")


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    cart = Cart(request)
    if cart.is_empty or not cart.lines():
        messages.info(request, _("Your cart is empty."))
        return redirect("cart")
    user = request.user
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        valid = form.is_valid()
        if request.POST.get("action") == "apply":
            # Applying a code checks only the code: name, e-mail and address are checked
            # when the order is placed, not reported as missing while he is still typing.
            for name in [n for n in form.errors if n not in ("discount_code", NON_FIELD_ERRORS)]:
                del form.errors[name]
        elif valid:
            try:
                order = place_order(request, cart, form.cleaned_data)
            except CheckoutError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you! Your order has been placed."))
                return redirect("order_confirmation", number=order.number)
        code = form.cleaned_data.get("discount_code", "")  # a valid code only
        cart.set_discount_code(code)
    else:
        # A code the shopper chose wins over the one a campaign prefills for him.
        link = DiscountForm({"code": request.GET.get("code", "")})  # ?code= from a link
        code = ((link.cleaned_data["code"] if link.is_valid() else "") or cart.discount_code
                or prefilled_code(request, "checkout_discount"))
        initial = {"discount_code": code}
        if user.is_authenticated:
            initial.update(name=user.get_full_name(), email=user.email)
            last = Order.objects.filter(user=user).exclude(address="").first()
            if last:
                initial["address"] = last.address
        form = CheckoutForm(initial=initial)

    subtotal = cart.subtotal
    discount_note = ""
    if code == PREVIEW_CODE and getattr(request.visitor, "is_preview", False):
        # A preview makes no real codes: say what the customer would get instead.
        discount, discount_error = None, ""
        discount_note = _("Preview: the customer gets a single-use code of his own here.")
    else:
        discount, discount_error = validate_discount(code, user, subtotal, timezone.now())
    amount_off = discount.amount_off(subtotal) if discount else Decimal("0.00")
    return render(
        request,
        "orders/checkout.html",
        {
            "form": form,
            "cart": cart,
            "lines": cart.lines(),
            "subtotal": subtotal,
            "discount_code": discount,
            "discount_error": discount_error,
            "discount_note": discount_note,
            "discount_amount": amount_off,
            "total": subtotal - amount_off,
            "b2b_error": b2b_error(cart, user),
        },
    )


def _viewable_order(request: HttpRequest, number: str) -> Order:
    order = get_object_or_404(
        Order.objects.select_related("account__sales_rep", "user"), number=number
    )
    if not may_view_order(request, order):
        raise Http404(_("No such order."))
    return order


@require_GET
def order_confirmation(request: HttpRequest, number: str) -> HttpResponse:
    order = _viewable_order(request, number)
    lines = order.lines.select_related("product")
    return render(request, "orders/confirmation.html", {"order": order, "lines": lines})


@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _viewable_order(request, number)
    lines = order.lines.select_related("product__category")
    return render(request, "orders/order_detail.html", {"order": order, "lines": lines})


@login_required
@require_GET
def order_history(request: HttpRequest) -> HttpResponse:
    orders = Order.objects.for_user(request.user).prefetch_related("lines__product")
    return render(request, "orders/order_history.html", {"orders": orders})
