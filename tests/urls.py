"""The demo shop's URLs plus a test page that declares five slots."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

SLOTS_PAGE = """{% load i18n personalization %}<html><body>
{% get_current_language as language %}<p class="page-language">{{ language }}</p>
{% personalize "hero" %}<p>Default hero</p>{% endpersonalize %}
{% personalize "side" %}<p>Default side</p>{% endpersonalize %}
{% personalize "footer" %}<p>Default footer</p>{% endpersonalize %}
{% personalize_popup "popup" %}
{% greeting "greeting" default="Welcome!" %}
</body></html>"""


def slots_page(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(SLOTS_PAGE)
    return HttpResponse(template.render({}, request))


GOAL_PAGE = """{% load personalization %}<p>Thank you for signing up.</p>
{% pz_goal "newsletter_signup" value=request.GET.value %}"""


def goal_page(request: HttpRequest) -> HttpResponse:
    """A thank-you page that records a goal with the template tag."""
    template = engines["django"].from_string(GOAL_PAGE)
    return HttpResponse(template.render({"request": request}, request))


def plain_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>No slots here</p>")


urlpatterns = [
    path("_pz/slots/", slots_page, name="pz-test-slots"),
    path("_pz/plain/", plain_page, name="pz-test-plain"),
    path("_pz/thanks/", goal_page, name="pz-test-goal"),
    path("", include("demo_shop.urls")),
]
