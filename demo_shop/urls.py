"""URLs of the demo shop."""

from django.conf import settings
from django.conf.urls.static import static as media_files
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from demo_shop.catalog import views as catalog
from demo_shop.customers import views as customers
from demo_shop.orders import views as orders

urlpatterns = [
    path("", catalog.home, name="home"),
    # Browsers and crawlers ask for /favicon.ico whatever the page names: the shop's icon.
    path("favicon.ico", RedirectView.as_view(url=static("demo_shop/favicon.svg"),
                                             permanent=True)),
    path("headless/", catalog.headless, name="headless"),
    path("d/<slug:slug>/", catalog.department, name="department"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("p/<slug:slug>/", catalog.product, name="product"),
    path("search/", catalog.search, name="search"),
    path("img/<slug:slug>.svg", catalog.product_image, name="product_image"),
    path("cart/", orders.cart_view, name="cart"),
    path("cart/add/", orders.cart_add, name="cart_add"),
    path("cart/add-all/", orders.cart_add_all, name="cart_add_all"),
    path("cart/update/", orders.cart_update, name="cart_update"),
    path("cart/remove/", orders.cart_remove, name="cart_remove"),
    path("checkout/", orders.checkout, name="checkout"),
    path("orders/", orders.order_history, name="order_history"),
    path("orders/<slug:number>/", orders.order_detail, name="order_detail"),
    path("orders/<slug:number>/thanks/", orders.order_confirmation,
         name="order_confirmation"),
    path("login/", customers.LoginView.as_view(), name="login"),
    path("logout/", customers.LogoutView.as_view(), name="logout"),
    path("demo/persona/", customers.persona_switch, name="persona_switch"),
    path("i18n/", include("django.conf.urls.i18n")),  # the persona bar's language switch
    path("admin/", admin.site.urls),
    path("pz/api/", include("personalization.api.urls")),
    path("pz/", include("personalization.urls")),
]
# Uploaded banner and popup images, in DEBUG (static() adds nothing otherwise).
urlpatterns += media_files(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
