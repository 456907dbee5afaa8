"""The merchant's controls of a bandit on its report page: freeze, unfreeze, stop."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from personalization.measurement.bandits import set_frozen
from personalization.models import Campaign

ACTIONS = ("bandit_freeze", "bandit_unfreeze", "bandit_stop")


def act(request: HttpRequest, campaign: Campaign, action: str) -> None:
    """Carry out one of ACTIONS (the caller checked the change permission)."""
    if action == "bandit_freeze":
        set_frozen(campaign, True)
        messages.success(request, _("The bandit's weights are frozen where they are."))
    elif action == "bandit_unfreeze":
        set_frozen(campaign, False)
        messages.success(request, _("The bandit's weights move again from the next "
                                    "update."))
    elif action == "bandit_stop":
        campaign.status = Campaign.Status.PAUSED
        campaign.save()  # ends the run; its report stays
        messages.success(request, _("The campaign is paused: the bandit has stopped and "
                                    "its run is concluded."))
