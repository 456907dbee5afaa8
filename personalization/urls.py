"""URLs of the app: script endpoints and privacy pages; include them under e.g. ``pz/``."""

from django.urls import path

from personalization.privacy import views as privacy_views
from personalization.touchpoints import views

app_name = "personalization"

urlpatterns = [
    path("dismiss/", views.dismiss, name="dismiss"),
    path("click/", views.click, name="click"),
    path("shown/", views.shown, name="shown"),
    path("privacy/", privacy_views.consent, name="consent"),
    path("privacy/my-data/", privacy_views.my_data, name="my_data"),
    path("privacy/forget-me/", privacy_views.forget_me, name="forget_me"),
]
