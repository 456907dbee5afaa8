"""``path("pz/api/", include("personalization.api.urls"))``: the API and its schema."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from personalization.api import staff, views, visitor

app_name = "personalization_api"

urlpatterns = [
    path("decisions/", views.DecisionsView.as_view(), name="decisions"),
    path("events/", visitor.EventsView.as_view(), name="events"),
    path("consent/", visitor.ConsentView.as_view(), name="consent"),
    path("me/", visitor.MeView.as_view(), name="me"),
    path("campaigns/<int:pk>/report/", staff.CampaignReportView.as_view(),
         name="campaign-report"),
    path("explain/", staff.ExplainView.as_view(), name="explain"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="personalization_api:schema"),
         name="docs"),
]
