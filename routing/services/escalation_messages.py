"""Who hears of escalations, and how: at once, or in a digest.

A storm of escalations (an imported list nobody works) used to send a message per lead
to the managers, to the rep who missed each deadline and to each new owner. Now each
destination (a manager's e-mail address or Slack channel, each channel of a rep) hears
of the first escalation after a quiet spell at once, and of the rest in one digest per
window of ESCALATION_DIGEST (managers: after one message; reps: after a few, since each
lead escalated to them asks them to act). Event webhook subscribers are not affected:
they get every event (routing.services.events).

For one transaction's escalations, `escalation_messages` reads, in one query, what
their destinations were told in reach of the window, decides in memory and returns the
rows: messages to send now, and digest rows due at the end of their window. A digest
row is keyed by its destination and window, so the transactions of one window write
it once (`outbox_write_once`); what it says is read when it is sent
(routing.notifications.escalation_digest), from the escalations of its window.

The digest is sent DIGEST_GRACE after its window closes: an escalation decided just
before the window's end commits well within that, so it is in the digest when read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings

from routing.models import Assignment, Lead, Notification
from routing.models.notifications import ESCALATION_KINDS
from routing.notifications.contacts import Contact, manager_channel
from routing.notifications.escalation_digest import (
    MANAGER_DIGEST,
    REP_DIGEST,
    TOLD_ONE_BY_ONE,
    Window,
    window_of,
)
from routing.notifications.payloads import OwnerLike, event_body

# A rep hears of this many escalations one by one within a window before the rest wait
# for a digest: a lead escalated to them is work with a deadline, so a few go at once.
REP_ONE_BY_ONE = 3
MANAGER_ONE_BY_ONE = 1
EVERY_ONE = 1_000_000
DIGEST_GRACE = timedelta(seconds=10)


@dataclass(frozen=True)
class Escalated:
    """One escalation, as its messages need it."""

    lead: Lead | Mapping[str, Any]  # as it is after the escalation (webhook bodies)
    missed: Assignment  # the expired one: its rep, deadline and end (the escalation's time)
    new: Assignment | None  # the new owner's; None: nobody took the lead (unclaimed)
    new_owner: OwnerLike | None
    managers: tuple[str, ...]  # the rule set's notify_on_escalation


class EscalationMessages(NamedTuple):
    now: list[Notification]  # to write with outbox_write
    digests: list[Notification]  # to write with outbox_write_once


class _Tell(NamedTuple):
    """One destination to be told of one escalation."""

    digest_kind: str
    kind: str  # what it is told if told at once
    channel: str
    destination: str
    rep_id: int | None
    at: datetime  # the time that places it in a window
    lead_id: int
    assignment: Assignment
    body: dict[str, Any] | None  # a webhook's, if told at once
    one_by_one: int  # how many in a window are told at once
    # A live lead to a rep: told at once while the rep's few allow, even when a digest
    # of a list's leads is open (a hot lead is not buried in a trade-show list's digest).
    urgent: bool = False


def escalation_messages(
    escalations: Sequence[Escalated], *, contacts: Mapping[int, Contact]
) -> EscalationMessages:
    """The messages of one transaction's escalations: at once, or in a digest."""
    tells = sorted(
        (tell for escalated in escalations for tell in _tells(escalated, contacts)),
        key=lambda tell: tell.at,
    )
    if not tells:
        return EscalationMessages([], [])
    every = settings.LEADROUTER["ESCALATION_DIGEST"]
    told = _told(tells, every)
    now: list[Notification] = []
    digests: dict[str, Notification] = {}
    for tell in tells:
        place = told.setdefault((tell.digest_kind, tell.destination, tell.rep_id), _Told())
        window = place.window_for(
            tell.at, every=every, one_by_one=tell.one_by_one, urgent=tell.urgent
        )
        if window is None:
            now.append(_at_once(tell))
        else:
            row = _digest(tell, window)
            digests.setdefault(row.key, row)
    return EscalationMessages(now, list(digests.values()))


def _tells(escalated: Escalated, contacts: Mapping[int, Contact]) -> list[_Tell]:
    missed, new, lead = escalated.missed, escalated.new, escalated.lead
    lead_id = missed.lead_id
    assert missed.ended_at is not None, "an escalation ends the assignment it expires"
    manager_kind = "manager.unclaimed" if new is None else "manager.escalated"
    tells = [
        _Tell(
            MANAGER_DIGEST,
            manager_kind,
            manager_channel(address),
            address,
            None,
            missed.ended_at,
            lead_id,
            missed,
            None,
            MANAGER_ONE_BY_ONE,
        )
        for address in escalated.managers
    ]
    # A webhook's body is made only for a rep who has one: a storm's thousands mostly go
    # to e-mail and Slack.
    lost = contacts.get(missed.rep_id)
    if lost is not None:
        body = (
            event_body("lead.expired", lead=lead, at=missed.ended_at, assignment=missed)
            if _has_webhook(lost)
            else None
        )
        tells += _rep_tells(
            lost, "lead.expired", missed.ended_at, lead_id, missed, body, listed=_listed(lead)
        )
    got = contacts.get(new.rep_id) if new is not None else None
    if got is not None and new is not None:
        body = (
            event_body(
                "lead.escalated",
                lead=lead,
                at=new.assigned_at,
                assignment=new,
                owner=escalated.new_owner,
            )
            if _has_webhook(got)
            else None
        )
        tells += _rep_tells(
            got, "lead.escalated", new.assigned_at, lead_id, new, body, listed=_listed(lead)
        )
    return tells


def _listed(lead: Lead | Mapping[str, Any]) -> bool:
    """Whether the lead came in an imported list: its people heard of it in the import's
    digest, and hear of its escalation in a digest too."""
    value = lead.get("lead_import_id") if isinstance(lead, Mapping) else lead.lead_import_id
    return value is not None


def _has_webhook(contact: Contact) -> bool:
    return any(channel == Notification.Channel.WEBHOOK for channel, _ in contact.channels)


def _rep_tells(
    contact: Contact,
    kind: str,
    at: datetime,
    lead_id: int,
    assignment: Assignment,
    body: dict[str, Any] | None,
    *,
    listed: bool,
) -> list[_Tell]:
    # An AI agent acts on each lead as it comes: it always hears at once. A person hears
    # of a few live leads at once, of a list's leads in the digest.
    one_by_one = EVERY_ONE if contact.is_agent else 0 if listed else REP_ONE_BY_ONE
    return [
        _Tell(
            REP_DIGEST,
            kind,
            channel,
            destination,
            contact.rep_id,
            at,
            lead_id,
            assignment,
            body if channel == Notification.Channel.WEBHOOK else None,
            one_by_one,
            urgent=not listed,
        )
        for channel, destination in contact.channels
    ]


@dataclass
class _Told:
    """What one destination was told of escalations lately: the times of messages sent
    at once, and the windows of digests."""

    at_once: list[datetime] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)

    def window_for(
        self, at: datetime, *, every: timedelta, one_by_one: int, urgent: bool = False
    ) -> Window | None:
        """The digest window an escalation at `at` goes into; None: it is told at once
        (and counted). `urgent`: at once while fewer than `one_by_one` were told at once
        in the last window, whatever digest is open."""
        if urgent and self._room_at_once(at, every=every, one_by_one=one_by_one):
            self.at_once.append(at)
            return None
        for window in self.windows:
            if window.since <= at < window.until:
                return window
        ended = [window.until for window in self.windows if window.until <= at]
        if ended and at - max(ended) < every:
            # A digest went out less than a window ago: the next one a window later.
            window = Window(max(ended), max(ended) + every)
        else:
            if self._room_at_once(at, every=every, one_by_one=one_by_one):
                self.at_once.append(at)
                return None
            recent = [time for time in self.at_once if time > at - every]
            since = min([*recent, at])
            window = Window(since, since + every)
        self.windows.append(window)
        return window

    def _room_at_once(self, at: datetime, *, every: timedelta, one_by_one: int) -> bool:
        return len([time for time in self.at_once if time > at - every]) < one_by_one


def _told(tells: list[_Tell], every: timedelta) -> dict[tuple[str, str, int | None], _Told]:
    """What the destinations of `tells` were told in reach of their windows: one query.
    A digest was written at most a window after its window opened, so two windows back
    from the earliest escalation is far enough."""
    digest_kind_of = {
        kind: digest for digest, kinds in TOLD_ONE_BY_ONE.items() for kind in kinds
    } | {MANAGER_DIGEST: MANAGER_DIGEST, REP_DIGEST: REP_DIGEST}
    rows = Notification.objects.filter(
        destination__in={tell.destination for tell in tells},
        kind__in=ESCALATION_KINDS,
        created_at__gte=tells[0].at - 2 * every,
    ).values_list("kind", "destination", "rep_id", "created_at", "payload")
    told: dict[tuple[str, str, int | None], _Told] = {}
    for kind, destination, rep_id, created_at, payload in rows:
        family = digest_kind_of[kind]
        place = told.setdefault((family, destination, rep_id), _Told())
        if kind == family:
            place.windows.append(window_of(payload))
        else:
            place.at_once.append(created_at)
    return told


def _at_once(tell: _Tell) -> Notification:
    # Keyed as every message of one assignment is: it is written once.
    to = _named(tell.destination) if tell.digest_kind == MANAGER_DIGEST else tell.channel
    return Notification(
        key=f"assignment {tell.assignment.pk} {tell.kind} {to}",
        channel=tell.channel,
        kind=tell.kind,
        lead_id=tell.lead_id,
        assignment_id=tell.assignment.pk,
        rep_id=tell.rep_id,
        destination=tell.destination,
        payload=tell.body or {},
        # The escalation's time: what a digest of the same window leaves out.
        created_at=tell.at,
    )


def _digest(tell: _Tell, window: Window) -> Notification:
    rep = f" rep {tell.rep_id}" if tell.rep_id is not None else ""
    return Notification(
        key=f"{tell.digest_kind}{rep} until {window.until.astimezone(UTC).isoformat()} to "
        + _named(tell.destination),
        channel=tell.channel,
        kind=tell.digest_kind,
        rep_id=tell.rep_id,
        destination=tell.destination,
        payload=window.payload(tell.digest_kind),
        created_at=tell.at,
        next_attempt_at=window.until + DIGEST_GRACE,
    )


def _named(destination: str) -> str:
    """A destination as a row's key names it: a long URL by its hash, to fit the key."""
    if len(destination) <= 100:
        return destination
    return "sha256:" + hashlib.sha256(destination.encode()).hexdigest()[:32]
