"""Campaign reports in the admin: a run's arms against control, the program against the
global holdout, their charts (server-drawn SVG from a template, admin/charts.py: nothing is
loaded from elsewhere) and CSV."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from personalization.admin import bandits
from personalization.admin.charts import line_chart
from personalization.admin.forms import PromoteForm
from personalization.admin.permissions import require
from personalization.conf import app_settings
from personalization.measurement import kpis
from personalization.measurement.events import flush_events
from personalization.measurement.experiments import promote_winner
from personalization.measurement.figures import campaign_figures
from personalization.measurement.reports import Report, program_report, run_report
from personalization.measurement.rollups import roll_up
from personalization.models import Campaign, ContentVariant, ExperimentRun, Segment


def charts(report: Report) -> list[SafeString]:
    days = [d["day"] for d in report.daily]
    keys = [(a.control, a.variant_id) for a in report.arms]
    rates = [(a.label, [d["arms"].get(k, {}).get("conversion_rate") for d in report.daily])
             for a, k in zip(report.arms, keys, strict=True)]
    rpv = [(a.label, [d["arms"].get(k, {}).get("rpv") for d in report.daily])
           for a, k in zip(report.arms, keys, strict=True)]
    out = []
    uplift = [d.get("uplift") for d in report.daily]
    # Under a failed trust guard no interval is shown, the chart's neither.
    if report.trusted and any(u is not None and u.value is not None for u in uplift):
        first = report.comparisons[0].arm.label if report.comparisons else ""
        out.append(line_chart(
            _("Cumulative uplift in conversion rate, %(arm)s against control, with its 95 %% "
              "interval") % {"arm": first}, days,
            [(_("uplift"), [u.value if u else None for u in uplift])],
            band=([u.low if u else None for u in uplift],
                  [u.high if u else None for u in uplift])))
    out.append(line_chart(_("Conversion rate per day of first exposure"), days, rates))
    out.append(line_chart(_("Revenue per visitor per day of first exposure"), days, rpv,
                          percent=False))
    return out


def csv_response(report: Report, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["day", "arm", "visitors", "converting visitors", "revenue"])
    for entry in report.daily:
        for arm in report.arms:
            figures = entry["arms"].get((arm.control, arm.variant_id))
            if figures:
                writer.writerow([entry["day"], arm.label, figures["visitors"],
                                 figures["converters"], f"{figures['revenue']:.2f}"])
    return response


def campaign_report_view(model_admin: admin.ModelAdmin, request: HttpRequest,
                         object_id: str) -> HttpResponse:
    """GET: the report (the URL needs "view"); POST: refresh or promote (it needs "change")."""
    campaign = get_object_or_404(Campaign, pk=object_id)
    require(model_admin, request, "view", campaign)
    runs = list(ExperimentRun.objects.filter(campaign=campaign)
                .select_related("winner", "promoted_by").order_by("-number"))
    run = next((r for r in runs if str(r.number) == request.GET.get("run")),
               runs[0] if runs else None)
    if run is not None and request.method == "POST" and request.POST.get("action") != "promote":
        return _act(model_admin, request, campaign, run)
    if run is not None and (request.GET.get("promote") or request.POST.get("action")):
        return promote_view(model_admin, request, campaign, run)
    segments = list(Segment.objects.filter(kind=Segment.Kind.COMPUTED).order_by("name"))
    segment = next((s for s in segments if s.slug == request.GET.get("segment")), None)
    context = {**model_admin.admin_site.each_context(request), "opts": Campaign._meta,
               "campaign": campaign, "runs": runs, "run": run, "segments": segments,
               "segment": segment, "title": _("Report: %(name)s") % {"name": campaign.name}}
    if run is not None:
        report = run_report(run, segment)
        if request.GET.get("format") == "csv":
            suffix = f"-{segment.slug}" if segment else ""
            return csv_response(report,
                                f"campaign-{campaign.pk}-run-{run.number}{suffix}.csv")
        context.update(report=report, charts=charts(report),
                       can_change=model_admin.has_change_permission(request, campaign))
    else:  # no experiment (one variant, no holdout): its own figures, nothing compared
        context["figures"] = campaign_figures(campaign)
    return TemplateResponse(request, "admin/personalization/report.html", context)


def _act(model_admin: admin.ModelAdmin, request: HttpRequest, campaign: Campaign,
         run: ExperimentRun) -> HttpResponse:
    require(model_admin, request, "change", campaign)
    here = reverse("admin:personalization_campaign_report", args=[campaign.pk])
    if request.POST.get("action") in bandits.ACTIONS and run.is_bandit:
        bandits.act(request, campaign, request.POST["action"])
    elif request.POST.get("action") == "refresh":
        flush_events()  # what visitors just did is counted too
        roll_up(run)
        messages.success(request, _("The figures are up to date."))
    return HttpResponseRedirect(f"{here}?run={run.number}")


def promote_view(model_admin: admin.ModelAdmin, request: HttpRequest, campaign: Campaign,
                 run: ExperimentRun) -> HttpResponse:
    """The confirmation page of a promote: the evidence for the chosen variant, and a form
    that asks for an explicit choice and a reason when the report names no winner for it."""
    require(model_admin, request, "change", campaign)
    here = reverse("admin:personalization_campaign_report", args=[campaign.pk])
    chosen = request.POST.get("variant") or request.GET.get("promote")
    winner = ContentVariant.objects.filter(campaign=campaign, pk=chosen).first() if (
        chosen or "").isdigit() else None
    if winner is None or not run.is_running:
        messages.error(request, _("Choose a variant of this campaign's running experiment."))
        return HttpResponseRedirect(f"{here}?run={run.number}")
    report = run_report(run)
    judgement = report.judgement
    is_winner = bool(judgement and judgement.state == "winner" and judgement.winner
                     and judgement.winner.variant_id == winner.pk)
    comparison = next((c for c in report.comparisons if c.arm.variant_id == winner.pk), None)
    form = PromoteForm(request.POST or None, is_winner=is_winner)
    if request.method == "POST" and form.is_valid():
        promote_winner(run, winner, keep_holdout=form.cleaned_data["keep_holdout"],
                       by=request.user, verdict=report.verdict,
                       reason=form.cleaned_data.get("reason", "").strip())
        messages.success(request, _("“%(name)s” now shows to everybody; run %(n)s is "
                                    "concluded.") % {"name": winner.name, "n": run.number})
        return HttpResponseRedirect(f"{here}?run={run.number}")
    return TemplateResponse(request, "admin/personalization/promote.html", {
        **model_admin.admin_site.each_context(request), "opts": Campaign._meta,
        "campaign": campaign, "run": run, "report": report, "variant": winner,
        "comparison": comparison, "is_winner": is_winner, "form": form,
        "title": _("Promote “%(name)s” to everybody?") % {"name": winner.name}})


def program_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the program's report (the URL needs "view"); POST: refresh it ("change")."""
    if request.method == "POST":
        flush_events()
        roll_up(None)
        messages.success(request, _("The figures are up to date."))
        return HttpResponseRedirect(request.path)
    report = program_report()
    if request.GET.get("format") == "csv":
        return csv_response(report, "personalization-program.csv")
    return TemplateResponse(request, "admin/personalization/report.html", {
        **model_admin.admin_site.each_context(request), "opts": Campaign._meta,
        "report": report, "charts": charts(report), "program": True,
        "can_change": model_admin.has_change_permission(request),
        "title": _("Report: personalization as a whole")})


def report_link(campaign: Campaign) -> SafeString:
    return format_html('<a href="{}">{}</a>', reverse(
        "admin:personalization_campaign_report", args=[campaign.pk]), _("report"))


def kpi_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The shop's KPIs week by week, for everybody or one segment (the URL needs "view");
    POST takes last week's figures again ("change")."""
    if request.method == "POST":
        kpis.take_snapshots()
        messages.success(request, _("Last week's figures are taken again."))
        return HttpResponseRedirect(request.get_full_path())
    segments = list(Segment.objects.filter(enabled=True, kind=Segment.Kind.COMPUTED)
                    .order_by("name"))
    segment = next((s for s in segments if s.slug == request.GET.get("segment")), None)
    weeks = kpis.dashboard(segment, so_far=True)
    # The charts end with the last whole week: the week under way is in the table, labelled,
    # since a few days' figures drawn on the line would read as a drop.
    finished = [w for w in weeks if not w.unfinished]
    days = [w.week for w in finished]
    charts = [
        line_chart(_("Conversion rate (transactions per visitor) per week"), days,
                   [(_("conversion rate"), [w.conversion_rate for w in finished])]),
        line_chart(_("Average order value per week"), days,
                   [(_("AOV"), [w.average_order_value for w in finished])], percent=False),
        line_chart(_("Revenue per visitor per week"), days,
                   [(_("revenue per visitor"), [w.revenue_per_visitor for w in finished])],
                   percent=False),
    ]
    latest = finished[-1].rfm if finished else {}
    total = sum(latest.values()) or 1
    return TemplateResponse(request, "admin/personalization/kpis.html", {
        **model_admin.admin_site.each_context(request), "opts": Campaign._meta,
        "title": _("Key figures"), "weeks": weeks, "charts": charts, "segments": segments,
        "finished": bool(finished), "so_far": len(weeks) > len(finished),
        "window_days": app_settings.CONVERSION_WINDOW_DAYS,
        "segment": segment, "rfm": [(score, n, n / total) for score, n in latest.items()],
        "can_change": model_admin.has_change_permission(request)})
