from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("pz/api/", include("personalization.api.urls")),
    path("pz/", include("personalization.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
# Product pictures (Oscar's thumbnails) while developing; a web server serves them in production.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
