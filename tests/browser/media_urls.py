"""The demo's URLs plus uploaded media, which Django serves only in DEBUG (tests run without)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from demo_shop.urls import urlpatterns as shop_urls


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.+)$", media), *shop_urls]
