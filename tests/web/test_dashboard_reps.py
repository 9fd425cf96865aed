"""The dashboard per rep: each rep's figures, who each pool gives its next lead to, the
leads breaching their SLA now, each table as CSV, and the "view dashboard" permission."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from reps.models import Pool
from reps.roles import user_make_sales_manager
from routing.models import Assignment, Lead, Rule
from tests.factories import (
    AssignmentFactory,
    LeadFactory,
    PoolFactory,
    PoolMembershipFactory,
    RepFactory,
    RuleSetFactory,
    UserFactory,
)
from tests.roles import ensure_sales_manager_group
from tests.team import submit

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.get_current_timezone())
SLA = timedelta(minutes=15)
TABLES = ("reps", "next", "breaching", "rules", "pools", "paths", "fairness")


def csv_of(client: Client, table: str, **params: str) -> list[dict[str, str]]:
    response = client.get(f"/dashboard/{table}.csv", params)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def given(
    rep,
    *,
    ago: timedelta,
    acknowledged_after: timedelta | None = None,
    ended: Assignment.EndReason | None = None,
    status: Lead.Status = Lead.Status.ASSIGNED,
    lead: Lead | None = None,
    owner=None,
) -> Assignment:
    """An assignment to `rep` made `ago` before NOW, due SLA later."""
    assigned_at = NOW - ago
    lead = lead or LeadFactory(created_at=assigned_at)
    acknowledged_at = assigned_at + acknowledged_after if acknowledged_after else None
    ended_at = None
    if ended == Assignment.EndReason.EXPIRED:
        ended_at = assigned_at + SLA
    elif ended is not None:
        ended_at = NOW - timedelta(minutes=1)
    Lead.objects.filter(pk=lead.pk).update(owner=owner or rep, status=status)
    return AssignmentFactory(
        lead=lead,
        rep=rep,
        assigned_at=assigned_at,
        ack_due_at=assigned_at + SLA,
        acknowledged_at=acknowledged_at,
        ended_at=ended_at,
        end_reason=ended or "",
    )


@time_machine.travel(NOW, tick=False)
def test_each_reps_figures_are_counted_from_their_own_assignments(admin_client):
    ana, bo = RepFactory(name="Ana"), RepFactory(name="Bo")
    minutes = timedelta(minutes=1)
    closed = Assignment.EndReason.CLOSED
    # Ana: acknowledged after 1, 5 and 20 minutes (the last past her 15-minute SLA)...
    given(ana, ago=120 * minutes, acknowledged_after=minutes, ended=closed, status="converted")
    given(
        ana, ago=60 * minutes, acknowledged_after=5 * minutes, ended=closed, status="disqualified"
    )
    given(ana, ago=90 * minutes, acknowledged_after=20 * minutes, status="contacted")
    # ...one she let expire, escalated to Bo, who acknowledged in 2 minutes...
    escalated = given(ana, ago=180 * minutes, ended=Assignment.EndReason.EXPIRED, owner=bo)
    given(bo, ago=165 * minutes, acknowledged_after=2 * minutes, lead=escalated.lead)
    # ...one still within its SLA, and one from before the period she still holds.
    given(ana, ago=5 * minutes)
    given(ana, ago=timedelta(days=40), acknowledged_after=minutes)
    given(bo, ago=30 * minutes, acknowledged_after=3 * minutes)

    rows = {row["Rep"]: row for row in csv_of(admin_client, "reps", days="30")}

    assert rows["Ana"] == {
        "Rep": "Ana",
        "Leads received": "5",
        "Speed to lead, median (seconds)": "300.0",  # 1, 5, 20 minutes
        "Speed to lead, 90th percentile (seconds)": "1200.0",
        "Acknowledged within SLA (%)": "50.0",  # 1 and 5 minutes of 1, 5, 20 and expired
        "Escalated away": "1",
        "Open now": "3",  # within its SLA, acknowledged late, from before the period
        "Conversion (%)": "50.0",  # converted and disqualified
    }
    assert rows["Bo"] == {
        "Rep": "Bo",
        "Leads received": "2",
        "Speed to lead, median (seconds)": "150.0",  # 2 and 3 minutes: their mean
        "Speed to lead, 90th percentile (seconds)": "180.0",
        "Acknowledged within SLA (%)": "100.0",
        "Escalated away": "0",
        "Open now": "2",
        "Conversion (%)": "",  # no outcome yet
    }
    page = admin_client.get("/dashboard/", {"days": "30"}).content.decode()
    assert "5 min" in page and "20 min" in page and "2 of 4" in page


@time_machine.travel(NOW, tick=False)
def test_the_per_rep_table_takes_a_bounded_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    for n in range(12):
        rep = RepFactory(name=f"Rep {n:02}")
        given(rep, ago=timedelta(hours=1), acknowledged_after=timedelta(minutes=n + 1))
        given(rep, ago=timedelta(hours=2))
    with django_assert_max_num_queries(8):  # the session, the user, the four figures
        rows = csv_of(admin_client, "reps", days="7")
    assert len(rows) == 12


def route_to_pool(pool: Pool) -> None:
    ruleset = RuleSetFactory(is_active=True, ack_sla=SLA)
    Rule.objects.create(
        ruleset=ruleset,
        name="Everything",
        position=1,
        conditions={"source": "demo_request"},
        route_to=Rule.RouteTo.POOL,
        route_pool=pool,
    )


@pytest.mark.parametrize(
    "method",
    [
        Pool.Method.ROUND_ROBIN,
        Pool.Method.WEIGHTED,
        Pool.Method.PERFORMANCE,
        Pool.Method.LEAST_LOADED,
    ],
)
def test_who_is_next_is_who_routing_gives_the_next_lead_to(admin_client, method):
    pool = PoolFactory(name="Inbound team", method=method)
    for name, weight in (("Ana", 3), ("Bo", 1), ("Cy", 2)):
        PoolMembershipFactory(pool=pool, rep=RepFactory(name=name), weight=weight)
    away = RepFactory(
        name="Dee",
        out_of_office_from=timezone.now() - timedelta(days=1),
        out_of_office_until=timezone.now() + timedelta(days=1),
    )
    PoolMembershipFactory(pool=pool, rep=away)
    PoolMembershipFactory(pool=pool, rep=RepFactory(name="Eve", paused_at=timezone.now()))
    route_to_pool(pool)
    predicted, routed, passed_over = [], [], set()

    for n in range(8):
        (row,) = csv_of(admin_client, "next")
        assert row["Method"] == pool.get_method_display()
        predicted.append(row["Next lead goes to"])
        passed_over.add(row["Passed over now"])
        routed.append(submit(source="demo_request", email=f"lead{n}@prospect.com").owner.name)

    assert predicted == routed
    assert set(routed) == {"Ana", "Bo", "Cy"}
    # Round robin looks no further than the next available member; Dee's and Eve's turns come.
    assert any(passed.startswith("Dee: out of office") for passed in passed_over)
    assert any("Eve: paused new leads" in passed for passed in passed_over)


def test_pools_that_choose_by_the_lead_say_so(admin_client):
    PoolFactory(name="Nearby", method=Pool.Method.NEAREST)
    (row,) = csv_of(admin_client, "next")
    assert row["Method"] == "Nearest (closest rep to the lead)"
    assert row["Next lead goes to"] == ""
    html = admin_client.get("/dashboard/").content.decode()
    assert "depends on the lead" in html


@time_machine.travel(NOW, tick=False)
def test_the_leads_breaching_their_sla_are_listed_with_owner_and_lateness(admin_client):
    ana = RepFactory(name="Ana")
    late = given(ana, ago=SLA + timedelta(minutes=10))
    late.lead.first_name, late.lead.last_name, late.lead.company = "Lee", "Late", "Globex"
    late.lead.save()
    soon = given(RepFactory(name="Bo"), ago=SLA - timedelta(minutes=4))
    given(ana, ago=SLA - timedelta(minutes=6))  # due in 6 minutes: not yet
    given(ana, ago=timedelta(hours=2), acknowledged_after=timedelta(hours=1))  # acknowledged

    rows = csv_of(admin_client, "breaching")

    assert [(row["Lead"], row["Owner"], row["Company"]) for row in rows] == [
        ("Lee Late", "Ana", "Globex"),
        ("Pat Prospect", "Bo", ""),
    ]
    assert [row["Late (minutes, negative: not yet due)"] for row in rows] == ["10.0", "-4.0"]
    html = admin_client.get("/dashboard/").content.decode()
    assert f'href="/admin/routing/lead/{late.lead_id}/change/">Lee Late</a>' in html
    assert "10 min late" in html and "due in 4 min" in html
    assert soon.lead_id


@time_machine.travel(NOW, tick=False)
def test_the_page_lists_the_most_overdue_leads_and_the_csv_has_them_all(admin_client):
    ana = RepFactory(name="Ana")
    for minutes in range(1, 26):
        given(ana, ago=SLA + timedelta(minutes=minutes))

    html = admin_client.get("/dashboard/").content.decode()

    assert "The 20 most overdue of 25; the CSV has them all." in html
    assert html.count(" min late") == 20 and "25 min late" in html and "6 min late" in html
    assert len(csv_of(admin_client, "breaching")) == 25


def test_an_empty_period_says_so_instead_of_drawing_empty_charts(admin_client):
    html = admin_client.get("/dashboard/", {"start": "2020-01-01", "end": "2020-01-07"}).content
    html = html.decode()
    assert "No leads were submitted in the 01 Jan 2020 – 07 Jan 2020." in html
    assert "No lead is past its deadline or due within 5 min." in html
    assert "No rep was given a lead in this period" in html
    assert "No rep acknowledged a lead given to them in the 01 Jan 2020 – 07 Jan 2020." in html
    assert "<canvas" not in html


@pytest.fixture
def manager_client(db) -> Client:
    ensure_sales_manager_group()
    manager = UserFactory(email="sam.manager@example.com")
    user_make_sales_manager(user=manager)
    client = Client()
    client.force_login(manager)
    return client


def test_staff_without_the_dashboard_permission_are_refused(client):
    staff = UserFactory(email="clerk@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(staff)
    refused = client.get("/dashboard/")
    assert refused.status_code == 403
    assert 'Ask an administrator for the permission "Can view the dashboard"' in (
        refused.content.decode()
    )
    assert client.get("/dashboard/leads.csv").status_code == 403
    for table in TABLES:
        assert client.get(f"/dashboard/{table}.csv").status_code == 403, table


def test_sales_managers_and_superusers_read_the_dashboard_and_its_tables(
    manager_client, admin_client
):
    for client in (manager_client, admin_client):
        assert client.get("/dashboard/").status_code == 200
        for table in TABLES:
            assert client.get(f"/dashboard/{table}.csv").status_code == 200, table


def test_a_rep_or_a_stranger_is_sent_to_sign_in(client):
    assert client.get("/dashboard/reps.csv").status_code == 302
    client.force_login(UserFactory(email="rep@example.com"))
    assert client.get("/dashboard/reps.csv").status_code == 302


def test_every_table_on_the_page_links_its_csv_for_the_period(admin_client):
    html = admin_client.get("/dashboard/", {"start": "2026-11-01", "end": "2026-11-07"})
    html = html.content.decode()
    for table in ("reps", "next", "breaching", "rules", "pools", "paths"):
        assert f'href="/dashboard/{table}.csv?start=2026-11-01&amp;end=2026-11-07"' in html


def test_table_csvs_quote_formulas_and_refuse_bad_input(admin_client):
    rep = RepFactory(name="=HYPERLINK(1)")
    given(rep, ago=timedelta(minutes=1))
    rows = csv_of(admin_client, "reps")
    assert rows[0]["Rep"] == "'=HYPERLINK(1)"

    bad = admin_client.get("/dashboard/reps.csv", {"days": "0"})
    assert bad.status_code == 400
    assert bad.content.decode() == "days is between 1 and 366. Nothing was exported."
    assert admin_client.get("/dashboard/secrets.csv").status_code == 404
