"""The reports' figures in the admin's language: one way of writing numbers per page, and
the verdicts, warnings and arm labels translated."""

from decimal import Decimal

import pytest
from django.utils import translation

from personalization.fields import format_money
from personalization.measurement.statistics import Estimate
from personalization.templatetags.pz_reports import (
    eur,
    eur_interval,
    num,
    pct,
    pct_interval,
    rel_interval,
)

NBSP = "\xa0"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["12,000", "4.6 %", "4.41 %", "€13,147.93", "−€0.30", "€0.00"]),
    ("nl", ["12.000", "4,6 %", "4,41 %", f"€{NBSP}13.147,93", f"−€{NBSP}0,30", f"€{NBSP}0,00"]),
])
def test_counts_shares_and_amounts_as_the_language_writes_them(language, expected):
    with translation.override(language):
        assert [num(12000), pct(0.046), pct(0.0441, 2), eur(13147.93), eur(-0.3),
                eur(Decimal(0))] == expected
        assert num(None) == pct(None) == eur(None) == "–"


def test_differences_and_their_intervals_carry_their_sign():
    estimate = Estimate(value=0.0298, low=-0.0029, high=0.0402)
    with translation.override("nl"):
        assert str(pct_interval(estimate)) == (
            '<span class="pz-figure-value">+2,98 %-punt</span><br><span class="pz-ci">'
            "<span>−0,29 %-punt …</span> <span>+4,02 %-punt</span></span>")
        assert "+1.129,3 %" in str(rel_interval(Estimate(11.293, 0.1, 12.0)))
        assert "−€\xa010,20 …" in str(eur_interval(Estimate(0.97, -10.2, 12.16)))
    with translation.override("en"):
        assert "+2.98 pp" in str(pct_interval(estimate))
        assert "−€10.20 …" in str(eur_interval(Estimate(0.97, -10.2, 12.16)))
    assert pct_interval(Estimate(None, None, None)) == "–"


def test_format_money_outside_the_reports_keeps_its_plain_form():
    with translation.override("nl"):
        assert format_money(Decimal("1234.5")) == "€1234.50"  # the rep's SMS
        assert format_money(Decimal("1234.5"), localize=True) == f"€{NBSP}1234,50"
        assert format_money(Decimal("1234.5"), thousands=True, localize=True) == \
            f"€{NBSP}1.234,50"


@pytest.mark.django_db
def test_a_dutch_report_page(admin_client):
    from tests.test_admin_markup import evil_experiment

    campaign, _run, _segment = evil_experiment()
    html = admin_client.get(f"/admin/personalization/campaign/{campaign.pk}/report/",
                            HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Controlegroep (holdout)" in html and "Variant ‘Plain’" in html
    # 30 buyers: no verdict yet, and why.
    assert "Laat lopen: elke groep heeft 100 converterende bezoekers nodig" in html
    assert f"Rendement op de kosten van de campagne (€{NBSP}50,00)" in html
    for english in ("Control (holdout)", "Keep running", "converting visitors", "€50.00"):
        assert english not in html
