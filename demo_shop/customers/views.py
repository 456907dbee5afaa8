"""Login, logout and the demo persona switcher."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .personas import ABANDONED_CARTS, PERSONA_USERNAMES, switcher_enabled

ANONYMOUS = "anonymous"


class LoginView(auth_views.LoginView):
    template_name = "customers/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_POST
def persona_switch(request: HttpRequest) -> HttpResponse:
    """Browse as one of the seeded personas, or anonymously. Demo only: 404 when off."""
    if not switcher_enabled():
        raise Http404("The persona switcher is off.")
    username = request.POST.get("username", "")
    if username == ANONYMOUS:
        logout(request)
        messages.info(request, _("You are browsing anonymously."))
    elif username in PERSONA_USERNAMES:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise Http404("This persona has not been seeded; run manage.py seed_demo.")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        _leave_cart(request, username)
        messages.info(
            request, _("You are browsing as %(name)s.") % {"name": user.get_full_name()}
        )
    else:
        raise Http404("Not a demo persona.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "home"
    return redirect(target)


def _leave_cart(request: HttpRequest, username: str) -> None:
    """Demo only: give the persona the cart she abandoned some hours ago, if hers is empty."""
    from demo_shop.catalog.models import Product
    from demo_shop.orders.cart import UPDATED_AT_KEY, Cart
    from demo_shop.orders.models import SavedCart

    left = ABANDONED_CARTS.get(username)
    cart = Cart(request)
    if left is None or not cart.is_empty:
        return
    items, hours = left
    ids = dict(Product.objects.filter(slug__in=[slug for slug, _q in items])
               .values_list("slug", "pk"))
    cart.add_many([(ids[slug], qty) for slug, qty in items if slug in ids])
    left_at = timezone.now() - timedelta(hours=hours)
    request.session[UPDATED_AT_KEY] = left_at.isoformat()
    # Her saved cart too (what explain and the preview read): left as long ago.
    SavedCart.objects.filter(user__username=username).update(updated_at=left_at)
