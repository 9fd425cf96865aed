"""The services behind a rep's availability: each refusal names the input at fault and
changes nothing; pausing twice is one pause."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from reps.availability import AvailabilityError, rep_away_set, rep_pause, rep_resume
from tests.factories import AgentFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    return RepFactory(name="Ana", user=UserFactory(email="ana@example.com"))


def test_pausing_twice_keeps_the_first_time_and_writes_one_history_row(rep):
    first = rep_pause(rep=rep, by=rep.user).paused_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        again = rep_pause(rep=rep, by=rep.user).paused_at

    assert again == first
    assert rep.history.count() == 2  # created, then paused once
    assert rep_resume(rep=rep, by=rep.user).paused_at is None


@pytest.mark.parametrize(
    ("until", "cover", "field"),
    [
        (timedelta(minutes=-1), None, "until"),
        (timedelta(days=1), "self", "cover"),
        (timedelta(days=1), "agent", "cover"),
        (timedelta(days=1), "inactive", "cover"),
    ],
)
def test_time_away_that_makes_no_sense_is_refused_naming_the_input(rep, until, cover, field):
    covers = {
        None: None,
        "self": rep,
        "agent": AgentFactory(),
        "inactive": RepFactory(is_active=False),
    }

    with pytest.raises(AvailabilityError) as refused:
        rep_away_set(rep=rep, until=timezone.now() + until, cover=covers[cover], by=rep.user)

    assert refused.value.field == field
    rep.refresh_from_db()
    assert (rep.out_of_office_until, rep.cover_rep) == (None, None)
    assert rep.history.count() == 1
