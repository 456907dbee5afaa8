"""Campaign reports in the admin: a run's arms against control, the program against the
global holdout, their charts (server-drawn SVG: nothing is loaded from elsewhere) and CSV."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from personalization.fields import format_money
from personalization.measurement import kpis
from personalization.measurement.experiments import promote_winner
from personalization.measurement.reports import Report, program_report, run_report
from personalization.measurement.rollups import roll_up
from personalization.models import Campaign, ContentVariant, ExperimentRun, Segment

COLORS = ("#6b7280", "#2563eb", "#d97706", "#059669", "#9333ea")
WIDTH, HEIGHT, PAD = 640, 220, 40


def _scale(values: list[float], size: int, pad: int) -> Any:
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1e-9 + abs(high) * 0.1, low - abs(low) * 0.1 - 1e-9
    return lambda v: pad + (size - 2 * pad) * (1 - (v - low) / (high - low)), low, high


def line_chart(title: str, days: list[Any], series: list[tuple[str, list[float | None]]],
               band: tuple[list[float | None], list[float | None]] | None = None,
               percent: bool = True) -> SafeString:
    """An accessible SVG line chart: one line per series, an optional interval band, a zero
    line, and a title and description for screen readers."""
    values = [v for _, s in series for v in s if v is not None]
    if band:
        values += [v for v in band[0] + band[1] if v is not None]
    if not days or not values:
        return format_html('<p class="pz-chart-empty">{}</p>', _("No data yet."))
    values.append(0.0)
    y, low, high = _scale(values, HEIGHT, PAD // 2)
    step = (WIDTH - 2 * PAD) / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return PAD + i * step

    def fmt(v: float) -> str:
        return f"{v * 100:.1f}%" if percent else format_money(v)

    parts = []
    if band:
        top = [(x(i), y(v)) for i, v in enumerate(band[1]) if v is not None]
        bottom = [(x(i), y(v)) for i, v in enumerate(band[0]) if v is not None][::-1]
        if top and bottom:
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in top + bottom)
            parts.append(f'<polygon points="{points}" fill="#2563eb" fill-opacity="0.15"/>')
    parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 'stroke="#9ca3af" stroke-dasharray="4 3"/>')
    for n, (name, s) in enumerate(series):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s) if v is not None)
        color = COLORS[n % len(COLORS)]
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                     f'stroke-width="2" class="pz-series"><title>{name}</title></polyline>')
    parts.append(f'<text x="4" y="{PAD // 2 + 4}" font-size="11">{fmt(high)}</text>')
    parts.append(f'<text x="4" y="{HEIGHT - PAD // 2}" font-size="11">{fmt(low)}</text>')
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 4}" font-size="11">{days[0]}</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" font-size="11" '
                 f'text-anchor="end">{days[-1]}</text>')
    # Swatch colours by class (admin/pages.css, the same COLORS): no style attribute, for
    # a strict Content-Security-Policy.
    legend = format_html_join(" ", '<span class="pz-legend"><span class="pz-swatch-{}">'
                              '</span>{}</span>',
                              ((n % len(COLORS), name) for n, (name, _s) in
                               enumerate(series)))
    svg = (f'<svg class="pz-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'aria-label="{title}" width="100%" height="{HEIGHT}">' + "".join(parts) + "</svg>")
    return format_html('<figure class="pz-figure"><figcaption>{}</figcaption>{}<div>{}</div>'
                       "</figure>", title, mark_safe(svg), legend)  # noqa: S308


def charts(report: Report) -> list[SafeString]:
    days = [d["day"] for d in report.daily]
    keys = [(a.control, a.variant_id) for a in report.arms]
    rates = [(a.label, [d["arms"].get(k, {}).get("conversion_rate") for d in report.daily])
             for a, k in zip(report.arms, keys, strict=True)]
    rpv = [(a.label, [d["arms"].get(k, {}).get("rpv") for d in report.daily])
           for a, k in zip(report.arms, keys, strict=True)]
    out = []
    uplift = [d.get("uplift") for d in report.daily]
    if any(u is not None and u.value is not None for u in uplift):
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
    campaign = get_object_or_404(Campaign, pk=object_id)
    if not model_admin.has_view_permission(request, campaign):
        raise PermissionDenied
    runs = list(ExperimentRun.objects.filter(campaign=campaign).order_by("-number"))
    run = next((r for r in runs if str(r.number) == request.GET.get("run")),
               runs[0] if runs else None)
    if run is not None and request.method == "POST":
        return _act(model_admin, request, campaign, run)
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
    return TemplateResponse(request, "admin/personalization/report.html", context)


def _act(model_admin: admin.ModelAdmin, request: HttpRequest, campaign: Campaign,
         run: ExperimentRun) -> HttpResponse:
    if not model_admin.has_change_permission(request, campaign):
        raise PermissionDenied
    here = reverse("admin:personalization_campaign_report", args=[campaign.pk])
    if request.POST.get("action") == "refresh":
        roll_up(run)
        messages.success(request, _("The figures are up to date."))
    elif request.POST.get("action") == "promote" and run.is_running:
        winner = ContentVariant.objects.filter(campaign=campaign,
                                               pk=request.POST.get("variant")).first()
        if winner is None:
            messages.error(request, _("Choose one of this campaign's variants."))
        else:
            promote_winner(run, winner, keep_holdout=bool(request.POST.get("keep_holdout")))
            messages.success(request, _("“%(name)s” now shows to everybody; run %(n)s is "
                                        "concluded.") % {"name": winner.name, "n": run.number})
    return HttpResponseRedirect(f"{here}?run={run.number}")


def program_report_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method == "POST" and model_admin.has_change_permission(request):
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
    """The shop's KPIs week by week, for everybody or one segment."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method == "POST" and model_admin.has_change_permission(request):
        kpis.take_snapshots()
        messages.success(request, _("Last week's figures are taken again."))
        return HttpResponseRedirect(request.get_full_path())
    segments = list(Segment.objects.filter(enabled=True, kind=Segment.Kind.COMPUTED)
                    .order_by("name"))
    segment = next((s for s in segments if s.slug == request.GET.get("segment")), None)
    weeks = kpis.dashboard(segment)
    days = [w.week for w in weeks]
    charts = [
        line_chart(_("Conversion rate (transactions per visitor) per week"), days,
                   [(_("conversion rate"), [w.conversion_rate for w in weeks])]),
        line_chart(_("Average order value per week"), days,
                   [(_("AOV"), [w.average_order_value for w in weeks])], percent=False),
        line_chart(_("Revenue per visitor per week"), days,
                   [(_("revenue per visitor"), [w.revenue_per_visitor for w in weeks])],
                   percent=False),
    ]
    latest = weeks[-1].rfm if weeks else {}
    total = sum(latest.values()) or 1
    return TemplateResponse(request, "admin/personalization/kpis.html", {
        **model_admin.admin_site.each_context(request), "opts": Campaign._meta,
        "title": _("Key figures"), "weeks": weeks, "charts": charts, "segments": segments,
        "segment": segment, "rfm": [(score, n, n / total) for score, n in latest.items()],
        "can_change": model_admin.has_change_permission(request)})
