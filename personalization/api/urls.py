"""``path("pz/api/", include("personalization.api.urls"))``: the API and its schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from personalization.api import views

app_name = "personalization_api"

urlpatterns = [
    path("decisions/", views.DecisionsView.as_view(), name="decisions"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="personalization_api:schema"),
         name="docs"),
]
