"""Version stamps: each rule set's version, and the version of all routing data.

Each rule set's version follows its rules.

Every decision records the version of the rule set it used, so any change to a rule set
or one of its rules moves the version on. `.update()` is used on purpose: it sends no
signal (no recursion) and writes no history row (the change itself already has one).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import F
from django.db.models.functions import Now
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from reps.models import Pool, PoolMembership, Rep
from territories.models import AccountDomain, NamedAccount, Territory

from .models import RoutingVersion, Rule, RuleSet, WebhookSubscription


def _bump(ruleset_id: int | None) -> None:
    if ruleset_id is not None:
        RuleSet.objects.filter(pk=ruleset_id).update(version=F("version") + 1)


@receiver(post_save, sender=RuleSet)
def ruleset_saved(sender: type, instance: RuleSet, created: bool, **_: Any) -> None:
    if not created:
        _bump(instance.pk)
        instance.refresh_from_db(fields=["version"])


@receiver(post_save, sender=Rule)
@receiver(post_delete, sender=Rule)
def rule_changed(sender: type, instance: Rule, **_: Any) -> None:
    _bump(instance.ruleset_id)


def _routing_data_changed(**_: Any) -> None:
    # Inside the writer's transaction: the new version becomes visible with the change
    # itself, so no process can see the change without the new version or vice versa.
    RoutingVersion.objects.filter(pk=1).update(
        version=F("version") + 1, stamp=uuid.uuid4(), changed_at=Now()
    )


# Webhook subscriptions are in the snapshot too (see routing.notifications.contacts).
_ROUTING_DATA = (
    Rep,
    Pool,
    PoolMembership,
    Territory,
    NamedAccount,
    AccountDomain,
    RuleSet,
    Rule,
    WebhookSubscription,
)
for _model in _ROUTING_DATA:
    post_save.connect(_routing_data_changed, sender=_model, dispatch_uid=f"version-{_model}")
    post_delete.connect(_routing_data_changed, sender=_model, dispatch_uid=f"version-{_model}-del")
