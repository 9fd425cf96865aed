"""The figures a BI tool reads beside the dashboard's, each checked against a day of leads
made by hand: the escalation rate, leads unclaimed during the period, speed to the first
human action, conversion by routing path, and a fairness share that accounts for time
away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reps.availability import rep_pause, rep_resume
from reps.models import Pool, PoolMembership
from routing.fairness import pool_fairness
from routing.metrics import lead_metrics
from routing.models import Lead, Rule
from routing.services.acknowledge import assignment_acknowledge
from routing.services.escalation import assignments_escalate_overdue
from routing.services.handoff import lead_handoff
from routing.services.work import lead_claim, lead_record_outcome
from tests.team import Team, build_team, submit

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DAY_START, DAY_END = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def team(db, receiver) -> Team:
    """The team as set up the day before the leads: the Closers were members all along,
    as the pool's membership history says."""
    with at(T - timedelta(days=1)):
        return build_team(receiver)


def acknowledge(lead: Lead, moment: datetime):
    """The current owner acknowledges at `moment`; returns who that was."""
    with at(moment):
        assignment = lead.assignments.get(ended_at__isnull=True)
        assignment_acknowledge(assignment=assignment, rep=assignment.rep, via="test")
    return assignment.rep


def sweep(moment: datetime) -> None:
    with at(moment):
        assert assignments_escalate_overdue() == 1


def record(lead: Lead, outcome: str, moment: datetime) -> None:
    with at(moment):
        lead.refresh_from_db()
        lead_record_outcome(lead=lead, rep=lead.owner, outcome=outcome)


@pytest.fixture
def day(team):
    """Five leads, one per hour, each on another path to whoever worked it.

    - direct: a demo request Ana acknowledges after a minute, then converts;
    - escalated: a demo request Ana lets expire; a Closer acknowledges 20 minutes in;
    - queued: a demo request nobody acknowledges (Ana, then both Closers): it goes to the
      shared queue 45 minutes in and is claimed at 50 minutes, then converted;
    - handed_off: a free signup the AI agent acknowledges at once and hands off at
      5 minutes; the Closer acknowledges at 10 minutes and converts;
    - agent_only: a free signup the agent keeps.
    """
    leads = {}
    with at(T):
        leads["direct"] = submit(email="direct@prospect.com", source="demo_request")
    acknowledge(leads["direct"], T + timedelta(minutes=1))
    record(leads["direct"], "converted", T + timedelta(minutes=30))

    t1 = T + timedelta(hours=1)
    with at(t1):
        leads["escalated"] = submit(email="escalated@prospect.com", source="demo_request")
    sweep(t1 + timedelta(minutes=15, seconds=1))
    assert acknowledge(leads["escalated"], t1 + timedelta(minutes=20)) in (team.bo, team.cy)

    t2 = T + timedelta(hours=2)
    with at(t2):
        leads["queued"] = submit(email="queued@prospect.com", source="demo_request")
    for n in (1, 2, 3):
        sweep(t2 + timedelta(minutes=15 * n, seconds=n))
    queued = leads["queued"]
    queued.refresh_from_db()
    assert queued.status == Lead.Status.UNCLAIMED
    claimer = next(
        rep
        for rep in (team.dee, team.bo, team.cy)
        if Lead.objects.filter(Lead.claimable_by(rep), pk=queued.pk).exists()
    )
    with at(t2 + timedelta(minutes=50)):
        lead_claim(lead=queued, rep=claimer)
    record(queued, "converted", t2 + timedelta(minutes=55))

    t3 = T + timedelta(hours=3)
    with at(t3):
        leads["handed_off"] = submit(email="handoff@prospect.com", source="free_signup")
    acknowledge(leads["handed_off"], t3)  # the agent's webhook answered 2xx, or did now
    with at(t3 + timedelta(minutes=5)):
        lead_handoff(lead=leads["handed_off"], agent=team.bot, note="Wants a demo")
    assert acknowledge(leads["handed_off"], t3 + timedelta(minutes=10)) in (team.bo, team.cy)
    record(leads["handed_off"], "converted", t3 + timedelta(minutes=40))

    t4 = T + timedelta(hours=4)
    with at(t4):
        leads["agent_only"] = submit(email="agent@prospect.com", source="free_signup")
    acknowledge(leads["agent_only"], t4)
    return leads


def figures(end: datetime = DAY_END) -> dict:
    with at(T + timedelta(hours=6)):
        return lead_metrics(start=DAY_START, end=end)


def test_the_escalation_rate_is_the_share_of_leads_escalated_at_least_once(day):
    # Expired assignments: Ana's of "escalated"; Ana's and both Closers' of "queued" (the
    # last one sent it to the shared queue). Two leads of five were escalated.
    assert figures()["escalations"] == {"count": 4, "leads": 2, "share": 0.4}


def test_a_lead_claimed_from_the_shared_queue_still_counts_as_unclaimed_during_the_period(day):
    result = figures()
    assert result["unclaimed"] == {"count": 0, "share": 0.0}  # nobody waits now
    assert result["unclaimed_during_period"] == {"count": 1, "share": 0.2, "still_unclaimed": 0}


def test_a_lead_that_waited_only_after_the_period_ended_is_not_unclaimed_during_it(day):
    # "queued" reached the shared queue at 11:45; a period ending at 11:40 saw it owned.
    ends_before = figures(end=T + timedelta(hours=2, minutes=40))
    assert ends_before["leads"] == 3
    assert ends_before["unclaimed_during_period"]["count"] == 0


def test_speed_to_first_human_action_skips_the_agents_acknowledgment(day):
    result = figures()
    # People acted after 60 s (direct), 1,200 s (escalated), 3,000 s (claimed) and 600 s
    # (after the agent's hand-off); nobody ever acted on the agent's own lead.
    assert result["speed_to_first_human_action"] == {
        "acted": 4,
        "median_seconds": 900.0,
        "p90_seconds": 3000.0,
    }
    # Speed to lead counts the agent's acknowledgments, at once, beside them.
    assert result["speed_to_lead"]["acknowledged"] == 5
    assert result["speed_to_lead"]["median_seconds"] == 60.0


def test_each_days_row_gives_that_days_speed_to_the_first_human_action(day):
    with at(T + timedelta(hours=6)):
        result = lead_metrics(start=DAY_START - timedelta(days=1), end=DAY_END)
    before, today = result["daily"]
    assert (before["leads"], before["first_human_action_median_seconds"]) == (0, None)
    assert before["first_human_action_p90_seconds"] is None
    # The day's people acted after 60, 600, 1,200 and 3,000 s; the agent at once.
    assert today["first_human_action_median_seconds"] == 900.0
    assert today["first_human_action_p90_seconds"] == 3000.0
    assert today["speed_median_seconds"] == 60.0


def test_conversion_by_path_gives_the_agents_hand_off_to_a_person_its_own_row(day):
    rows = {row["path"]: row for row in figures()["conversion_by_path"]}
    assert {path: (row["leads"], row["converted"]) for path, row in rows.items()} == {
        "ai_agent_handoff_human": (1, 1),
        "via_shared_queue": (1, 1),
        "via_escalation": (1, 0),
        "direct_to_human": (1, 1),
        "ai_agent_only": (1, 0),
    }
    assert rows["ai_agent_handoff_human"]["name"] == "AI agent → hand-off → person"
    assert rows["direct_to_human"]["rate"] == 1.0


@pytest.fixture
def rotation(team) -> Rule:
    """Pricing-page leads go to the Closers (Bo, Cy) in turn."""
    return Rule.objects.create(
        ruleset=team.ruleset,
        position=3,
        name="Pricing page",
        conditions={"source": "pricing_page"},
        route_to=Rule.RouteTo.POOL,
        route_pool=team.closers,
    )


def test_the_expected_share_leaves_out_the_turns_a_member_was_out_of_office(team, rotation):
    with at(T - timedelta(hours=2)):
        team.bo.out_of_office_from = T - timedelta(hours=1)
        team.bo.out_of_office_until = T + timedelta(hours=1)
        team.bo.save()
    with at(T):
        first = submit(email="one@prospect.com", source="pricing_page")
    with at(T + timedelta(hours=2)):
        submit(email="two@prospect.com", source="pricing_page")
    first.refresh_from_db()
    assert first.owner == team.cy  # Bo was away

    [closers] = figures()["fairness"]
    members = {member["rep"]: member for member in closers["members"]}
    # The first turn was Cy's alone; the second, both members'.
    assert (members["Bo"]["expected"], members["Bo"]["available_turns"]) == (0.5, 1)
    assert (members["Cy"]["expected"], members["Cy"]["available_turns"]) == (1.5, 2)
    assert closers["expected_share_accounts_for"] == [
        "weights",
        "pool_membership",
        "inactive",
        "out_of_office",
        "paused",
        "capacity_caps",
    ]
    assert closers["expected_share_does_not_account_for"] == [
        "left_out_after_letting_the_lead_expire"
    ]


def test_the_expected_share_leaves_out_the_turns_a_member_had_paused_new_leads(team, rotation):
    with at(T - timedelta(hours=1)):
        rep_pause(rep=team.bo, by=team.bo.user)
    with at(T):
        first = submit(email="one@prospect.com", source="pricing_page")
    with at(T + timedelta(hours=1)):
        rep_resume(rep=team.bo, by=team.bo.user)
    with at(T + timedelta(hours=2)):
        submit(email="two@prospect.com", source="pricing_page")
    first.refresh_from_db()
    assert first.owner == team.cy  # Bo had paused

    [closers] = figures()["fairness"]
    members = {member["rep"]: member for member in closers["members"]}
    assert (members["Bo"]["expected"], members["Bo"]["available_turns"]) == (0.5, 1)
    assert (members["Cy"]["expected"], members["Cy"]["available_turns"]) == (1.5, 2)


def test_the_expected_share_leaves_out_the_turns_a_member_was_at_capacity(team, rotation):
    Rule.objects.create(
        ruleset=team.ruleset,
        position=4,
        name="Events",
        conditions={"source": "event"},
        route_to=Rule.RouteTo.REP,
        route_rep=team.bo,
    )
    with at(T - timedelta(hours=2)):
        team.bo.max_open = 1
        team.bo.save()
        own = submit(email="met-at-a-fair@prospect.com", source="event")
    assert own.owner == team.bo  # Bo's one open lead: he is full
    with at(T):
        first = submit(email="one@prospect.com", source="pricing_page")
    record(own, "converted", T + timedelta(hours=1))  # a final outcome frees Bo
    with at(T + timedelta(hours=2)):
        submit(email="two@prospect.com", source="pricing_page")
    first.refresh_from_db()
    assert first.owner == team.cy

    [closers] = figures()["fairness"]
    members = {member["rep"]: member for member in closers["members"]}
    assert (members["Bo"]["expected"], members["Bo"]["available_turns"]) == (0.5, 1)
    assert (members["Cy"]["expected"], members["Cy"]["available_turns"]) == (1.5, 2)


def test_a_daily_limit_counts_the_leads_given_since_the_reps_midnight(team, rotation):
    with at(T - timedelta(hours=2)):
        team.cy.max_per_day = 1
        team.cy.save()
    owners = []
    for hour in range(3):
        with at(T + timedelta(hours=hour)):
            owners.append(submit(email=f"lead{hour}@prospect.com", source="pricing_page").owner)
    assert owners.count(team.cy) == 1
    # Until Cy had his lead of the day both were there; from then on, Bo alone.
    shared_turns = owners.index(team.cy) + 1
    [closers] = figures()["fairness"]
    members = {member["rep"]: member for member in closers["members"]}
    assert members["Cy"]["available_turns"] == shared_turns
    assert members["Cy"]["expected"] == 0.5 * shared_turns
    assert members["Bo"]["expected"] == 3 - 0.5 * shared_turns


def test_a_pool_that_respects_working_hours_says_its_share_accounts_for_them(team, rotation):
    team.closers.respect_working_hours = True
    team.closers.save()
    with at(T):
        submit(email="one@prospect.com", source="pricing_page")
    [closers] = figures()["fairness"]
    assert "working_hours" in closers["expected_share_accounts_for"]
    assert sum(member["expected"] for member in closers["members"]) == 1.0


# Between the day's second pricing-page lead and its third.
CHANGE = T + timedelta(hours=1, minutes=30)


def closers_members() -> dict[str, dict]:
    [closers] = figures()["fairness"]
    return {member["rep"]: member for member in closers["members"]}


def test_a_member_who_joined_mid_period_is_due_only_the_leads_given_after(team, rotation):
    with at(T):
        submit(email="lead0@prospect.com", source="pricing_page")
    with at(T + timedelta(hours=1)):
        submit(email="lead1@prospect.com", source="pricing_page")
    with at(CHANGE):
        PoolMembership.objects.create(pool=team.closers, rep=team.dee)
    for hour in (2, 3):
        with at(T + timedelta(hours=hour)):
            submit(email=f"lead{hour}@prospect.com", source="pricing_page")

    members = closers_members()
    # Two turns shared by Bo and Cy, then two by all three.
    assert (members["Dee"]["expected"], members["Dee"]["available_turns"]) == (0.7, 2)
    assert (members["Bo"]["expected"], members["Bo"]["available_turns"]) == (1.7, 4)
    assert (members["Cy"]["expected"], members["Cy"]["available_turns"]) == (1.7, 4)
    assert sum(member["leads"] for member in members.values()) == 4


def test_a_member_who_left_is_due_the_leads_given_until_they_left(team, rotation):
    with at(T):
        submit(email="lead0@prospect.com", source="pricing_page")
    with at(T + timedelta(hours=1)):
        submit(email="lead1@prospect.com", source="pricing_page")
    with at(CHANGE):
        PoolMembership.objects.get(pool=team.closers, rep=team.bo).delete()
    for hour in (2, 3):
        with at(T + timedelta(hours=hour)):
            submit(email=f"lead{hour}@prospect.com", source="pricing_page")

    members = closers_members()
    assert set(members) == {"Bo (left the pool)", "Cy"}
    bo = members["Bo (left the pool)"]
    assert (bo["leads"], bo["expected"], bo["available_turns"]) == (1, 1.0, 2)
    assert (members["Cy"]["leads"], members["Cy"]["expected"]) == (3, 3.0)


def test_a_weight_is_counted_as_it_was_at_each_turn(team, rotation):
    team.closers.method = Pool.Method.WEIGHTED
    team.closers.save()
    with at(T):
        submit(email="lead0@prospect.com", source="pricing_page")
    with at(T + timedelta(hours=1)):
        submit(email="lead1@prospect.com", source="pricing_page")
    with at(CHANGE):
        membership = PoolMembership.objects.get(pool=team.closers, rep=team.bo)
        membership.weight = 3
        membership.save()
    for hour in (2, 3):
        with at(T + timedelta(hours=hour)):
            submit(email=f"lead{hour}@prospect.com", source="pricing_page")

    members = closers_members()
    # Half of each of the first two turns, then three quarters of the next two.
    assert (members["Bo"]["expected"], members["Cy"]["expected"]) == (2.5, 1.5)


def test_a_membership_older_than_its_history_counts_from_before_its_first_record(team, rotation):
    # History that starts with a change (kept since an edit), not the creation.
    bo = PoolMembership.objects.get(pool=team.closers, rep=team.bo)
    bo.history.all().delete()
    with at(CHANGE):
        bo.save()
    with at(T):
        submit(email="lead0@prospect.com", source="pricing_page")

    members = closers_members()
    assert (members["Bo"]["expected"], members["Cy"]["expected"]) == (0.5, 0.5)


def test_the_fairness_figures_read_as_many_queries_for_many_leads_as_for_one(team, rotation):
    def queries_for_the_day() -> int:
        with at(T + timedelta(hours=6)), CaptureQueriesContext(connection) as queries:
            pool_fairness(start=DAY_START, end=DAY_END)
        return len(queries.captured_queries)

    with at(T):
        submit(email="lead0@prospect.com", source="pricing_page")
    with at(CHANGE):
        PoolMembership.objects.create(pool=team.closers, rep=team.dee)
    one = queries_for_the_day()
    for hour in (2, 3, 4, 5):
        with at(T + timedelta(hours=hour)):
            submit(email=f"lead{hour}@prospect.com", source="pricing_page")
    assert queries_for_the_day() == one
