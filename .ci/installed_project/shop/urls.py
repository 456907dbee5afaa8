from django.contrib import admin
from django.urls import include, path
from store import views

urlpatterns = [
    path("", views.home),
    path("category/<int:pk>/", views.category),
    path("cart/add/", views.cart_add),
    path("checkout/", views.checkout),
    path("admin/", admin.site.urls),
    path("pz/api/", include("personalization.api.urls")),
    path("pz/", include("personalization.urls")),
]
