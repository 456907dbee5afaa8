"""URLs of the bundled script's endpoints; include them under any prefix, e.g. ``pz/``."""

from django.urls import path

from . import views

app_name = "personalization"

urlpatterns = [
    path("dismiss/", views.dismiss, name="dismiss"),
    path("click/", views.click, name="click"),
]
