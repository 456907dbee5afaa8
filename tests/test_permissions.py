"""Who may do what: every admin action, every custom admin URL and every API route and
method of the app, walked as staff with no permission, with "view", with "view" and
"change", and with every permission of the app.

The tables below say what each one needs (docs/permissions.md says it to merchants). The
``*_have_an_entry`` tests find the actions and routes the code has, so a new one without an
entry fails them: add it here with the permission it needs and what it does, and to
docs/permissions.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core import mail
from django.db.models import Model
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from personalization.models import (
    Campaign,
    ConsentPurpose,
    DailyRollup,
    ExperimentRun,
    Journey,
    KpiSnapshot,
    RepNotification,
    Segment,
    Slot,
    VisitorProfile,
)
from tests.factories import (
    CampaignFactory,
    ConsentPurposeFactory,
    DailyRollupFactory,
    ExperimentRunFactory,
    JourneyFactory,
    RepNotificationFactory,
    SegmentFactory,
    SlotFactory,
    UserFactory,
    VisitorProfileFactory,
)

pytestmark = pytest.mark.django_db

#: The staff members the tables are walked as, by what they hold on every model of the app.
ROLES: dict[str, set[str]] = {
    "nothing": set(),
    "view": {"view"},
    "change": {"view", "change"},
    "everything": {"view", "change", "add", "delete", "preview_as_customer"},
}
PUBLIC = "public"


def may(role: str, needs: str) -> bool:
    return needs == PUBLIC or needs in ROLES[role]


@pytest.fixture
def staff() -> dict[str, Any]:
    """A staff member per role (the admin lets no one else in), fewest permissions first."""
    perms = list(Permission.objects.filter(content_type__app_label="personalization"))
    out = {}
    for role, kinds in ROLES.items():
        user = UserFactory(username=f"staff-{role}", is_staff=True)
        user.user_permissions.add(*[p for p in perms if p.codename.split("_")[0] in kinds
                                    or p.codename in kinds])
        out[role] = user
    return out


@pytest.fixture
def clients(staff: dict[str, Any]) -> dict[str, Client]:
    """A logged-in client per role, fewest permissions first: what one role did cannot
    make a later role's "nothing happened" pass."""
    out = {}
    for role, user in staff.items():
        out[role] = Client()
        out[role].force_login(user)
    return out


def gone(model: type[Model]) -> Callable[[Model], bool]:
    return lambda obj: not model.objects.filter(pk=obj.pk).exists()


def status_is(status: str) -> Callable[[Model], bool]:
    return lambda obj: type(obj).objects.get(pk=obj.pk).status == status


def computed_segment() -> Segment:
    from personalization.rules import OrderCountRule

    return SegmentFactory(kind="computed", rules=[OrderCountRule(minimum=1)])


def failed_sms() -> RepNotification:
    return RepNotificationFactory(
        order_reference=f"DS-{RepNotification.objects.count()}", rep_reference="1",
        phone="+31612345678",
        status=RepNotification.Status.FAILED, send_after=timezone.now())


def profile_with_data() -> VisitorProfile:
    return VisitorProfileFactory(user=UserFactory(), attributes={"first_name": "Anna"})


def assert_listed(found: set[Any], table: dict[Any, Any], name: str) -> None:
    """What the code has and what the table lists are the same."""
    assert not found - set(table), f"Add to {name} (and docs/permissions.md): " \
                                   f"{sorted(found - set(table))}"
    assert not set(table) - found, f"In {name} but not in the code: {sorted(set(table) - found)}"


# -- admin actions ---------------------------------------------------------------------------
@dataclass
class Action:
    """An admin action: the permission it needs, an object to run it on, and whether it
    did its work (``done(obj, response)``)."""

    needs: str
    make: Callable[[], Model]
    done: Callable[[Model, Any], bool]
    status: int = 302  # the answer when it ran


def said(response: Any, text: str) -> bool:
    """Whether the page the response redirects to will show a message with ``text``."""
    from django.contrib.messages.storage.cookie import CookieStorage

    cookie = response.cookies.get("messages")
    if cookie is None or not cookie.value:
        return False
    messages = CookieStorage(RequestFactory().get("/"))._decode(cookie.value) or []
    return any(text in str(m) for m in messages)


def did(check: Callable[[Model], bool]) -> Callable[[Model, Any], bool]:
    return lambda obj, response: check(obj)


ADMIN_ACTIONS: dict[tuple[str, str], Action] = {
    ("campaign", "make_live"): Action(
        "change", lambda: CampaignFactory(status="draft"), did(status_is("live"))),
    ("campaign", "pause"): Action("change", CampaignFactory, did(status_is("paused"))),
    ("journey", "run_now"): Action("change", lambda: JourneyFactory(
        name="Run me", trigger="cart", enabled=True), lambda obj, response: said(
        response, "Run me: 0 messages due")),
    ("campaign", "archive"): Action("change", CampaignFactory, did(status_is("archived"))),
    ("campaign", "delete_selected"): Action("delete", CampaignFactory, did(gone(Campaign))),
    ("slot", "delete_selected"): Action(
        "delete", lambda: SlotFactory(key=f"slot_{Slot.objects.count()}"), did(gone(Slot))),
    ("segment", "refresh_now"): Action(
        "change", computed_segment,
        did(lambda s: Segment.objects.get(pk=s.pk).last_refreshed_at is not None)),
    ("segment", "delete_selected"): Action("delete", SegmentFactory, did(gone(Segment))),
    ("consentpurpose", "delete_selected"): Action(
        "delete", lambda: ConsentPurposeFactory(
            key=f"surveys{ConsentPurpose.objects.count()}", name="Surveys"),
        did(gone(ConsentPurpose))),
    ("journey", "delete_selected"): Action(
        "delete", lambda: JourneyFactory(name="Win back", trigger="lapsed"),
        did(gone(Journey))),
    ("repnotification", "resend"): Action("change", failed_sms, did(status_is("queued"))),
    ("visitorprofile", "export_personal_data"): Action(
        "view", profile_with_data,
        lambda obj, response: b'"first_name": "Anna"' in response.content, status=200),
    # Erasing is deleting a person: it takes the delete permission (docs/decisions.md).
    ("visitorprofile", "erase_personal_data"): Action(
        "delete", profile_with_data, did(gone(VisitorProfile))),
}


def app_admins() -> list[admin.ModelAdmin]:
    """The app's ModelAdmins on the admin site (the demo's and auth's are the project's)."""
    return [model_admin for model, model_admin in admin.site._registry.items()
            if model._meta.app_label == "personalization"]


def test_every_admin_action_has_an_entry(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user  # a superuser is offered every action there is
    found = {(model_admin.opts.model_name, name) for model_admin in app_admins()
             for name in model_admin.get_actions(request)}
    assert_listed(found, ADMIN_ACTIONS, "ADMIN_ACTIONS")


@pytest.mark.parametrize("key", sorted(ADMIN_ACTIONS), ids="-".join)
def test_admin_action(key, staff, clients):
    model_name, name = key
    entry = ADMIN_ACTIONS[key]
    model_admin = next(a for a in app_admins() if a.opts.model_name == model_name)
    url = reverse(f"admin:personalization_{model_name}_changelist")
    for role, client in clients.items():
        obj = entry.make()
        request = RequestFactory().get(url)
        request.user = staff[role]
        allowed = may(role, entry.needs)
        assert (name in model_admin.get_actions(request)) is allowed, (role, "offered")
        response = client.post(url, {"action": name, "_selected_action": [obj.pk],
                                     "post": "yes"})
        if allowed:
            assert response.status_code == entry.status, (role, response.status_code)
            assert entry.done(obj, response), (role, "the action did nothing")
        else:
            # Without "view" the list is a 403; with it, an action Django does not offer
            # does nothing: the list again, or "no action selected" when it offers others.
            assert response.status_code in ((200, 302) if may(role, "view") else (403,)), role
            assert not entry.done(obj, response), (role, "the action ran")


# -- custom admin URLs -----------------------------------------------------------------------
@dataclass
class AdminView:
    """A custom admin URL: what GET needs, and (for a URL that acts on POST) what POST
    needs, the form it posts and whether it did its work. ``make`` builds what the URL
    needs and returns its URL."""

    needs: str
    make: Callable[[], str]
    act: str | None = None
    post: dict[str, str] = field(default_factory=dict)
    done: Callable[[], bool] | None = lambda: False
    #: What GET answers a role that may read (a URL that only acts answers 405).
    reads: int = 200


def report_url() -> str:
    campaign = CampaignFactory(holdout_percent=10)
    run = ExperimentRunFactory(campaign=campaign, number=1, holdout_percent=10,
                               started_at=timezone.now() - timedelta(days=3))
    stale_rollup(run)
    return reverse("admin:personalization_campaign_report", args=[campaign.pk])


def stale_rollup(run: ExperimentRun | None) -> None:
    """A row no roll-up would write (no events): refreshing the figures removes it. Only
    the latest URL's: an earlier role's stays where it was not refreshed."""
    DailyRollup.objects.filter(visitors=999).delete()
    DailyRollupFactory(run=run, day=timezone.localdate(), visitors=999)


def no_stale_rollup() -> bool:
    return not DailyRollup.objects.filter(visitors=999).exists()


def program_url() -> str:
    stale_rollup(None)
    return reverse("admin:personalization_campaign_program")


def journey_report_url() -> str:
    journey = JourneyFactory(name="Win back", trigger="lapsed")
    return reverse("admin:personalization_journey_report", args=[journey.pk])


def journey_url(action: str) -> Callable[[], str]:
    def make() -> str:
        mail.outbox.clear()
        journey = JourneyFactory(name="Cart", trigger="cart", enabled=True)
        return reverse(f"admin:personalization_journey_{action}", args=[journey.pk])
    return make


def a_test_message_went_out() -> bool:
    return any(m.subject.startswith("[Test]") for m in mail.outbox)


def preview_url() -> str:
    segment = SegmentFactory()
    return reverse("admin:personalization_preview") + f"?segment={segment.slug}&path=/"


ADMIN_VIEWS: dict[str, AdminView] = {
    "personalization_campaign_report": AdminView(
        "view", report_url, act="change", post={"action": "refresh"}, done=no_stale_rollup),
    "personalization_campaign_program": AdminView(
        "view", program_url, act="change", done=no_stale_rollup),
    "personalization_campaign_kpis": AdminView(
        "view", lambda: reverse("admin:personalization_campaign_kpis"), act="change",
        done=KpiSnapshot.objects.exists),
    "personalization_journey_report": AdminView("view", journey_report_url),
    # Run now acts only (GET is a 405); what it sends is tested in tests/test_journeys.py.
    "personalization_journey_run": AdminView("change", journey_url("run"), act="change",
                                             done=None, reads=405),
    "personalization_journey_test": AdminView("change", journey_url("test"), act="change",
                                              post={"language": "en"},
                                              done=a_test_message_went_out),
    # A preview link as a segment is reading (a customer's needs preview_as_customer:
    # tests/test_preview.py).
    "personalization_preview": AdminView("view", preview_url),
    # The product and category picker of the rule and variant forms.
    "personalization_catalog_lookup": AdminView(
        "change", lambda: reverse("admin:personalization_catalog_lookup") + "?kind=product"),
}


def custom_admin_urls() -> dict[str, URLPattern]:
    """Each app ModelAdmin's own URLs, without the ones every ModelAdmin has."""
    out = {}
    for model_admin in app_admins():
        standard = {str(p.pattern) for p in admin.ModelAdmin.get_urls(model_admin)}
        out.update({p.name: p for p in model_admin.get_urls()
                    if str(p.pattern) not in standard})
    return out


def test_every_custom_admin_url_has_an_entry_and_states_its_permission():
    found = custom_admin_urls()
    assert_listed(set(found), ADMIN_VIEWS, "ADMIN_VIEWS")
    undeclared = [name for name, p in found.items()
                  if not getattr(p.callback, "permissions", None)]
    assert not undeclared, f"not made with admin.permissions.admin_url: {undeclared}"


@pytest.mark.parametrize("name", sorted(ADMIN_VIEWS))
def test_admin_view(name, clients):
    entry = ADMIN_VIEWS[name]
    for role, client in clients.items():
        url = entry.make()
        assert client.get(url).status_code == (entry.reads if may(role, entry.needs)
                                                else 403), role
        response = client.post(url, entry.post)
        if entry.act is None:
            assert response.status_code == 405, role  # reading only: nothing to post
        elif may(role, entry.act):
            assert response.status_code == 302 and (entry.done is None or entry.done()), role
        else:  # refused before the view runs
            assert response.status_code == 403 and (entry.done is None or not entry.done()), \
                role
    assert Client().get(entry.make()).status_code == 302  # to the admin's login


# -- API -------------------------------------------------------------------------------------
@dataclass
class Route:
    """An API route and method: what it needs (PUBLIC for the visitor's own endpoints), what
    it is called with, and whether it did its work. ``make`` builds the object a detail
    route is about and returns its URL arguments."""

    needs: str
    make: Callable[[], dict[str, Any]] = dict
    body: Callable[[], Any] = lambda: None
    query: str = ""
    done: Callable[[dict[str, Any]], bool] | None = None


def pk_of(factory: Callable[[], Model]) -> Callable[[], dict[str, Any]]:
    return lambda: {"pk": factory().pk}


def new_slot() -> Slot:
    return SlotFactory(key=f"slot_{Slot.objects.count()}")


def run_of_a_campaign() -> dict[str, Any]:
    campaign = CampaignFactory(holdout_percent=10)
    ExperimentRunFactory(campaign=campaign, number=1, holdout_percent=10,
                         started_at=timezone.now() - timedelta(days=3))
    return {"pk": campaign.pk}


def named(model: type[Model], name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda kwargs: model.objects.filter(name=name).exists()


def removed(model: type[Model]) -> Callable[[dict[str, Any]], bool]:
    return lambda kwargs: not model.objects.filter(pk=kwargs["pk"]).exists()


API: dict[tuple[str, str], Route] = {
    # The visitor's own: public by design (the visitor cookie says whose).
    ("decisions", "GET"): Route(PUBLIC, query="?slot=home_hero"),
    ("events", "POST"): Route(PUBLIC, body=lambda: {"events": []}),
    ("consent", "GET"): Route(PUBLIC),
    ("consent", "PUT"): Route(PUBLIC, body=lambda: {"choices": {"analytics": True}}),
    ("me", "GET"): Route(PUBLIC),
    ("me", "DELETE"): Route(PUBLIC),
    # What the API is: the list of routes and the OpenAPI schema hold no data.
    ("api-root", "GET"): Route(PUBLIC),
    ("schema", "GET"): Route(PUBLIC),
    ("docs", "GET"): Route(PUBLIC),
    # Staff: the model permissions, "view" to read.
    ("slot-list", "GET"): Route("view"),
    ("slot-list", "POST"): Route(
        "add", body=lambda: {"key": "new_slot", "name": "New", "kind": "banner"},
        done=named(Slot, "New")),
    ("slot-detail", "GET"): Route("view", pk_of(new_slot)),
    ("slot-detail", "PUT"): Route(
        "change", pk_of(new_slot), lambda: {"key": f"put_{Slot.objects.count()}",
                                            "name": "Put", "kind": "banner"},
        done=named(Slot, "Put")),
    ("slot-detail", "PATCH"): Route("change", pk_of(new_slot), lambda: {"name": "Patched"},
                                    done=named(Slot, "Patched")),
    ("slot-detail", "DELETE"): Route("delete", pk_of(new_slot), done=removed(Slot)),
    ("segment-list", "GET"): Route("view"),
    ("segment-list", "POST"): Route(
        "add", body=lambda: {"name": "New", "slug": "new", "kind": "live", "match": "all",
                             "rules": [{"type": "loggedinrule"}]},
        done=named(Segment, "New")),
    ("segment-detail", "GET"): Route("view", pk_of(SegmentFactory)),
    ("segment-detail", "PUT"): Route(
        "change", pk_of(SegmentFactory),
        lambda: {"name": "Put", "slug": f"put-{Segment.objects.count()}", "kind": "live",
                 "match": "any"}, done=named(Segment, "Put")),
    ("segment-detail", "PATCH"): Route("change", pk_of(SegmentFactory),
                                       lambda: {"name": "Patched"},
                                       done=named(Segment, "Patched")),
    ("segment-detail", "DELETE"): Route("delete", pk_of(SegmentFactory),
                                        done=removed(Segment)),
    ("segment-refresh", "POST"): Route(
        "change", pk_of(computed_segment),
        done=lambda kwargs: Segment.objects.get(pk=kwargs["pk"]).last_refreshed_at
        is not None),
    ("campaign-list", "GET"): Route("view"),
    ("campaign-list", "POST"): Route(
        "add", body=lambda: {"name": "New", "slot": SlotFactory(key="new_slot").pk},
        done=named(Campaign, "New")),
    ("campaign-detail", "GET"): Route("view", pk_of(CampaignFactory)),
    ("campaign-detail", "PUT"): Route(
        "change", pk_of(CampaignFactory),
        lambda: {"name": "Put", "slot": SlotFactory(key="put_slot").pk},
        done=named(Campaign, "Put")),
    ("campaign-detail", "PATCH"): Route("change", pk_of(CampaignFactory),
                                        lambda: {"name": "Patched"},
                                        done=named(Campaign, "Patched")),
    ("campaign-detail", "DELETE"): Route("delete", pk_of(CampaignFactory),
                                         done=removed(Campaign)),
    ("campaign-report", "GET"): Route("view", run_of_a_campaign),
    # Why each slot shows what it shows: reading segments (a customer: preview_as_customer,
    # tests/test_api.py).
    ("explain", "GET"): Route("view"),
}
READS = ("GET", "HEAD", "OPTIONS")
METHODS = ("get", "post", "put", "patch", "delete")


def api_routes() -> dict[tuple[str, str], Any]:
    """(URL name, method) of every route of personalization.api.urls."""
    from personalization.api import urls

    found: dict[tuple[str, str], Any] = {}

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
                continue
            callback = pattern.callback
            # A ViewSet's method → action (DRF adds "head" to it once GET has been served:
            # HEAD and OPTIONS follow GET here, see READS).
            actions = getattr(callback, "actions", None) or {
                m: m for m in METHODS if hasattr(callback.view_class, m)}
            methods = [m.upper() for m in actions if m in METHODS]
            found.update({(pattern.name, method): callback for method in methods})

    walk(urls.urlpatterns)
    return found


def test_every_api_route_and_method_has_an_entry():
    found = api_routes()
    assert_listed(set(found), API, "API")


def call(client: Client, method: str, name: str, route: Route) -> tuple[Any, dict]:
    kwargs = route.make()
    url = reverse(f"personalization_api:{name}", kwargs=kwargs or None) + route.query
    body = route.body()
    response = getattr(client, method.lower())(
        url, **({"data": body, "content_type": "application/json"} if body is not None
                else {}))
    return response, kwargs


@pytest.mark.parametrize("key", sorted(API), ids="-".join)
def test_api_route(key, clients):
    name, method = key
    route = API[key]
    everyone = {"anonymous": Client(), **clients}
    for role, client in everyone.items():
        methods = READS if method == "GET" else (method,)
        for each in methods:  # HEAD and OPTIONS need what GET needs
            response, kwargs = call(client, each, name, route)
            if route.needs == PUBLIC:
                assert response.status_code not in (401, 403), (role, each)
                assert response.status_code < 500, (role, each)
            elif role != "anonymous" and may(role, route.needs):
                assert 200 <= response.status_code < 300, (role, each, response.content)
                assert route.done is None or route.done(kwargs), (role, each, "no effect")
            else:
                assert response.status_code == 403, (role, each)
                assert route.done is None or not route.done(kwargs), (role, each, "done")
