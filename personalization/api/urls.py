"""``path("pz/api/", include("personalization.api.urls"))``: the API, and with the ``api``
extra its schema and Swagger UI."""

from django.urls import include, path
from rest_framework import routers
from rest_framework.permissions import AllowAny

from personalization.api import campaigns, staff, views, visitor
from personalization.api.schema import HAS_SCHEMA

app_name = "personalization_api"


class APIRootView(routers.APIRootView):
    """The list of the API's routes: public, whatever the project's default permission (the
    schema says as much; every route states what it needs, docs/permissions.md)."""

    permission_classes = [AllowAny]


router = routers.DefaultRouter()
router.APIRootView = APIRootView
router.register("slots", staff.SlotViewSet, basename="slot")
router.register("segments", staff.SegmentViewSet, basename="segment")
router.register("campaigns", campaigns.CampaignViewSet, basename="campaign")

urlpatterns = [
    path("decisions/", views.DecisionsView.as_view(), name="decisions"),
    path("events/", visitor.EventsView.as_view(), name="events"),
    path("consent/", visitor.ConsentView.as_view(), name="consent"),
    path("me/", visitor.MeView.as_view(), name="me"),
    path("campaigns/<int:pk>/report/", staff.CampaignReportView.as_view(),
         name="campaign-report"),
    path("explain/", staff.ExplainView.as_view(), name="explain"),
    path("segments/<int:pk>/refresh/", staff.SegmentRefreshView.as_view(),
         name="segment-refresh"),
    path("", include(router.urls)),
]

if HAS_SCHEMA:  # the ``api`` extra: the OpenAPI schema and Swagger UI
    from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

    class SwaggerView(SpectacularSwaggerView):
        """Swagger UI. OPTIONS is a 405: drf-spectacular's view answers it with a 500 (its
        HTML renderer has no template for it)."""

        http_method_names = ["get", "head"]

    # Public unless the project restricts them (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]):
    # they describe the API and hold no data.
    urlpatterns += [
        path("schema/", SpectacularAPIView.as_view(), name="schema"),
        path("docs/", SwaggerView.as_view(url_name="personalization_api:schema"),
             name="docs"),
    ]
