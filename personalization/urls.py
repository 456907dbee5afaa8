"""URLs of the app: the no-JavaScript dismiss form and the privacy pages; include them under
e.g. ``pz/``, and the API (``personalization.api.urls``, which the bundled script reports
to) under e.g. ``pz/api/``."""

from django.urls import path

from personalization.datarights import views as privacy_views
from personalization.journeys import views as journey_views
from personalization.touchpoints import views

app_name = "personalization"

urlpatterns = [
    path("dismiss/", views.dismiss, name="dismiss"),
    path("privacy/", privacy_views.consent, name="consent"),
    path("privacy/my-data/", privacy_views.my_data, name="my_data"),
    path("privacy/forget-me/", privacy_views.forget_me, name="forget_me"),
    path("journeys/unsubscribe/<str:token>/", journey_views.unsubscribe_view,
         name="journey_unsubscribe"),
    path("journeys/cart/<str:token>/", journey_views.cart_view, name="journey_cart"),
    path("journeys/open/", journey_views.open_view, name="journey_open"),
]
