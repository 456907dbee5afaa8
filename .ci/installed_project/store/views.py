"""The shop's pages: home, a category, the session cart and the checkout."""

from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from personalization.signals import order_placed
from store.models import Category, Order, OrderLine, Product


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def category(request: HttpRequest, pk: int) -> HttpResponse:
    request.shop_category = get_object_or_404(Category, pk=pk)
    return render(request, "home.html", {"category": request.shop_category})


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    product = get_object_or_404(Product, pk=request.POST.get("product_id", 0))
    cart = dict(request.session.get("cart") or {})
    cart[str(product.pk)] = cart.get(str(product.pk), 0) + int(request.POST.get("quantity", 1))
    request.session["cart"] = cart
    request.session["cart_updated_at"] = timezone.now().isoformat()
    return HttpResponse("added")


@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    cart = request.session.get("cart") or {}
    products = Product.objects.in_bulk([int(pid) for pid in cart])
    if not products:
        return HttpResponseBadRequest("Your cart is empty.")
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        order = Order.objects.create(number=f"S{Order.objects.count() + 1:05d}", customer=user,
                                     total=Decimal("0"))
        for pid, quantity in cart.items():
            product = products[int(pid)]
            OrderLine.objects.create(order=order, product=product, quantity=quantity,
                                     price=product.price)
            order.total += product.price * quantity
        order.save(update_fields=["total"])
        order_placed.send_robust(sender=Order, order=order, user=user, request=request,
                                 value=order.total, reference=order.number)
    request.session["cart"] = {}
    return HttpResponse(f"Order {order.number} placed")
