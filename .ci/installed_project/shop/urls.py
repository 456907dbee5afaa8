from django.contrib import admin
from django.shortcuts import render
from django.urls import include, path

urlpatterns = [
    path("", lambda request: render(request, "home.html")),
    path("admin/", admin.site.urls),
    path("pz/api/", include("personalization.api.urls")),
    path("pz/", include("personalization.urls")),
]
