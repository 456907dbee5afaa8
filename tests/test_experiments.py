"""Experiment runs and their daily rollups, as the reports read them."""

import random
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from personalization.measurement.experiments import promote_winner, sync_run
from personalization.measurement.rollups import roll_up
from personalization.models import (
    BannerVariant,
    Campaign,
    DailyRollup,
    Event,
    ExperimentRun,
)
from tests.factories import (
    BannerVariantFactory,
    CampaignFactory,
    SlotFactory,
    VisitorAliasFactory,
    VisitorProfileFactory,
)

pytestmark = pytest.mark.django_db


def experiment(holdout=20, weights=(1, 1)):
    slot = SlotFactory(key="hero", name="Hero", kind="banner")
    campaign = CampaignFactory(name="Hero test", slot=slot, status="live",
                               holdout_percent=holdout, variants=())
    variants = [BannerVariantFactory(campaign=campaign, name=f"V{i}", headline=f"V{i}",
                                     weight=w) for i, w in enumerate(weights)]
    return campaign, variants


def test_a_live_campaign_with_a_holdout_runs_with_its_split_locked_in():
    campaign, (a, b) = experiment()
    run = sync_run(campaign)
    assert run.number == 1 and run.holdout_percent == 20
    assert run.weights == {str(a.pk): 1, str(b.pk): 1}
    assert sync_run(campaign) == run  # nothing changed: the same run goes on

    BannerVariant.objects.filter(pk=b.pk).update(weight=3)  # the merchant changes the split
    second = sync_run(campaign)
    run.refresh_from_db()
    assert run.ended_at is not None and second.number == 2
    assert second.weights == {str(a.pk): 1, str(b.pk): 3}

    Campaign.objects.filter(pk=campaign.pk).update(status="paused")
    assert sync_run(campaign) is None
    assert not ExperimentRun.objects.filter(campaign=campaign, ended_at=None).exists()


def test_a_campaign_with_one_variant_and_no_holdout_is_no_experiment():
    campaign, _ = experiment(holdout=0, weights=(1,))
    assert sync_run(campaign) is None


def test_saving_in_the_admin_starts_the_run_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        campaign, _ = experiment()
    assert ExperimentRun.objects.get(campaign=campaign).ended_at is None


def test_promoting_the_winner_shows_it_to_everybody_and_concludes_the_run():
    campaign, (a, b) = experiment(holdout=10)
    run = sync_run(campaign)
    promote_winner(run, b, keep_holdout=True)
    run.refresh_from_db()
    assert run.ended_at is not None and run.winner == b
    assert [v.weight for v in BannerVariant.objects.filter(campaign=campaign)
            .order_by("pk")] == [0, 1]
    follow_up = ExperimentRun.objects.get(campaign=campaign, ended_at=None)
    assert follow_up.weights == {str(b.pk): 1} and follow_up.holdout_percent == 10

    promote_winner(follow_up, b)  # and now without a holdout: no experiment left
    assert not ExperimentRun.objects.filter(campaign=campaign, ended_at=None).exists()
    assert Campaign.objects.get(pk=campaign.pk).holdout_percent == 0


def test_the_rollup_counts_each_visitor_once_in_his_first_arm_with_his_own_orders():
    campaign, variants = experiment()
    run = sync_run(campaign)
    start = run.started_at
    rng = random.Random(7)
    arms = [(True, None), (False, variants[0].pk), (False, variants[1].pk)]
    customer = get_user_model().objects.create_user("anna")
    profile = VisitorProfileFactory(user=customer)
    phone = uuid.uuid4()  # a second device of anna's: the same visitor
    VisitorAliasFactory(alias=phone, profile=profile)
    rows, truth = [], defaultdict(lambda: [0, 0, 0, Decimal(0), 0.0, 0, 0, 0.0])
    people = [(profile.visitor_id, phone)] + [(uuid.uuid4(),) for _ in range(60)]
    for n, ids in enumerate(people):
        day = rng.randrange(3)
        first = start + timedelta(days=day, minutes=n)
        control, variant = rng.choice(arms)
        for k, vid in enumerate(ids):  # anna is seen first on her laptop, then her phone
            rows.append(Event(visitor_id=vid, type="impression", campaign=campaign,
                              control=control, variant_id=variant, slot="hero",
                              created_at=first + timedelta(hours=k)))
        if n % 9 == 0:  # seen in another arm later: still counted in the first
            other = arms[(arms.index((control, variant)) + 1) % 3]
            rows.append(Event(visitor_id=ids[0], type="impression", campaign=campaign,
                              control=other[0], variant_id=other[1],
                              created_at=first + timedelta(hours=5)))
        orders = rng.choice([0, 0, 1, 2])
        revenue = Decimal(0)
        for o in range(orders):
            value = Decimal(rng.randrange(1000, 9000)) / 100
            rows.append(Event(visitor_id=ids[-1], type="conversion", campaign=campaign,
                              value=value, reference=f"O{n}-{o}",
                              created_at=first + timedelta(days=1, hours=o)))
            revenue += value
        rows.append(Event(visitor_id=ids[0], type="conversion", campaign=campaign,
                          value=Decimal("500"), reference=f"late-{n}",  # outside the window
                          created_at=first + timedelta(days=8)))
        if n % 4 == 0:
            rows.append(Event(visitor_id=ids[0], type="click", campaign=campaign,
                              created_at=first + timedelta(minutes=1)))
        key = (first.astimezone(timezone.get_current_timezone()).date(), control, variant)
        t = truth[key]
        t[0] += 1
        t[1] += orders > 0
        t[2] += orders
        t[3] += revenue
        t[4] += float(revenue) ** 2
        t[5] += n % 9 == 0
        t[6] += orders * orders
        t[7] += float(revenue) * orders
    Event.objects.bulk_create(rows)
    now = start + timedelta(days=20)
    roll_up(run, now=now)
    got = {(r.day, r.control, r.variant_id): [r.visitors, r.converters, r.orders, r.revenue,
                                              r.revenue_sq, r.multi_arm, r.orders_sq,
                                              r.revenue_orders]
           for r in DailyRollup.objects.filter(run=run, segment=None)}
    assert set(got) == set(truth)
    for key, expected in truth.items():
        assert got[key][:4] == expected[:4], key
        assert got[key][4] == pytest.approx(expected[4])
        assert got[key][5] == expected[5]
        assert got[key][6] == expected[6]
        assert got[key][7] == pytest.approx(expected[7])
    everybody = DailyRollup.objects.filter(run=run, segment=None)
    assert sum(r.visitors for r in everybody) == len(people)
    assert sum(everybody.values_list("clicks", flat=True)) == len(range(0, len(people), 4))

    ordered = everybody.order_by("day", "control", "variant_id")
    fields = ("day", "control", "variant_id", "visitors", "revenue")
    before = list(ordered.values_list(*fields))
    roll_up(run, now=now)  # idempotent
    assert list(ordered.values_list(*fields)) == before
