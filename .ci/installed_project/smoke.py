"""One personalized request against the installed wheel: a campaign for visitors who came
with ?promo=spring shows its banner to them and the default to everybody else."""
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()

from django.test import Client  # noqa: E402

import personalization  # noqa: E402
from personalization.models import BannerVariant, Campaign, Segment, Slot  # noqa: E402
from personalization.rules import QueryParameterRule  # noqa: E402
from personalization.testing import give_consent  # noqa: E402

assert "site-packages" in personalization.__file__, personalization.__file__
slot = Slot.objects.create(key="home_hero", name="Home hero", kind="banner")
segment = Segment.objects.create(name="Spring promo", slug="spring-promo")
QueryParameterRule.objects.create(segment=segment, name="promo", value="spring")
campaign = Campaign.objects.create(name="Spring", slot=slot, status="live")
campaign.segments.add(segment)
BannerVariant.objects.create(campaign=campaign, headline="Spring sale: 20% off")

visitor = give_consent(Client())
promo = visitor.get("/?promo=spring")
assert promo.status_code == 200, promo.status_code
page = promo.content.decode()
assert "Spring sale: 20% off" in page and "Our default hero" not in page, page
plain = give_consent(Client()).get("/").content.decode()
assert "Our default hero" in plain and "Spring sale" not in plain, plain
assert "pz.js" in page and Client().get("/").status_code == 200
print(f"installed {personalization.__version__} from {personalization.__file__}: "
      "the campaign shows to ?promo=spring, the default to everybody else")
sys.exit(0)
