"""Imported lists: each row stored and routed as intake would, a batch at a time; the
rotation exact across batches; one digest per rep; a stopped import carries on."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core import mail
from django.db import connection, connections

from reps.models import Pool
from routing.imports import ImportProblem, lead_import_create, lead_import_run, runs
from routing.models import (
    Assignment,
    Lead,
    LeadEvent,
    LeadImport,
    Notification,
    PoolRotation,
    RoutingDecision,
    Rule,
    WebhookSubscription,
)
from routing.services.delivery import notifications_send_due
from tests.factories import PoolMembershipFactory, RepFactory
from tests.team import submit

pytestmark = pytest.mark.django_db

HEADER = "email,first_name,company,source\n"


def run_import(text: str | bytes, *, notify: str = "digest", name: str = "expo.csv", **options):
    data = text.encode() if isinstance(text, str) else text
    lead_import = lead_import_create(name=name, notify=notify, size=len(data), **options)
    return lead_import_run(lead_import=lead_import, source=io.BytesIO(data))


def rows(count: int, source: str = "demo_request", start: int = 0) -> str:
    return "".join(
        f"lead{n}@prospect{n}.com,Lead{n},Prospect {n},{source}\n" for n in range(start, count)
    )


def test_an_imported_lead_is_stored_and_routed_as_an_api_submission_would_be(team):
    api_lead = submit(email="api@prospect.com", source="demo_request")

    lead_import = run_import(
        HEADER + "pat@prospect.com,Pat,Prospect Inc,demo_request\n", sla="rule"
    )

    lead = Lead.objects.get(email="pat@prospect.com")
    assert lead.lead_import == lead_import
    assert (lead.owner, lead.rule, lead.status) == (api_lead.owner, api_lead.rule, "assigned")
    decision, api_decision = lead.decisions.get(), api_lead.decisions.get()
    assert decision.steps == api_decision.steps
    assert (decision.rule_name, decision.owner, decision.kind) == (
        "Demo requests",
        team.ana,
        RoutingDecision.Kind.INITIAL,
    )
    assignment = lead.assignments.get()
    assert assignment.decision == decision and assignment.rep == team.ana
    assert assignment.ack_due_at - assignment.assigned_at == team.ruleset.ack_sla
    kinds = list(lead.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == list(api_lead.events.order_by("at", "id").values_list("kind", flat=True))
    submitted = lead.events.get(kind=LeadEvent.Kind.SUBMITTED)
    assert submitted.data == {"import": lead_import.pk, "line": 2}
    assert submitted.actor == "import expo.csv"
    routed = lead.events.get(kind=LeadEvent.Kind.ROUTED)
    assert routed.assignment == assignment
    assert routed.data["decision"] == decision.pk and routed.data["rep"] == team.ana.pk
    assert lead.payload == {
        "email": "pat@prospect.com",
        "first_name": "Pat",
        "company": "Prospect Inc",
        "source": "demo_request",
    }


def test_the_rotation_is_exact_across_batches_and_live_intake_carries_on_from_it(team, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_ROWS", 3)
    Rule.objects.filter(pk=team.demo.pk).update(
        route_to=Rule.RouteTo.POOL, route_pool=team.closers, route_rep=None
    )

    run_import(HEADER + rows(10))

    owners = [lead.owner.name for lead in Lead.objects.order_by("id").select_related("owner")]
    assert owners == ["Bo", "Cy"] * 5
    assert PoolRotation.objects.get(pool=team.closers).cursor == (
        team.closers.memberships.get(rep=team.cy).pk
    )
    assert submit(email="next@prospect.com", source="demo_request").owner == team.bo


@pytest.mark.parametrize("limit", ["max_unacknowledged", "max_open"])
def test_capacity_counts_the_leads_the_import_gave_out(team, monkeypatch, limit):
    monkeypatch.setattr(runs, "BATCH_ROWS", 2)
    setattr(team.ana, limit, 3)
    team.ana.save()

    run_import(HEADER + rows(5))

    owners = Counter(Lead.objects.values_list("owner__name", flat=True))
    assert owners == {"Ana": 3, "Dee": 2}  # Dee: the fallback, once Ana is full


def test_reps_get_one_digest_and_agents_each_lead(team, receiver):
    lead_import = run_import(HEADER + rows(3) + rows(5, source="free_signup", start=3))

    to_ana = Notification.objects.filter(rep=team.ana)
    assert [(row.kind, row.channel) for row in to_ana.order_by("id")] == [
        ("import.digest", "slack"),
        ("import.digest", "webhook"),
        ("import.digest", "email"),
    ]
    assert to_ana.filter(lead_import=lead_import, lead__isnull=True).count() == 3
    to_bot = Notification.objects.filter(rep=team.bot)
    assert to_bot.count() == 2 and set(to_bot.values_list("kind", flat=True)) == {"lead.assigned"}

    assert notifications_send_due() == 5
    slack = receiver.to("/slack/ana")[0].json
    assert slack["text"].startswith("3 new leads from expo.csv. The first is due by ")
    button = next(block for block in slack["blocks"] if block["type"] == "actions")
    assert button["elements"][0]["text"]["text"] == "Open your queue"
    assert button["elements"][0]["url"].endswith("/queue/")
    fields = next(block for block in slack["blocks"] if "fields" in block)["fields"]
    assert [field["text"].split("\n")[1] for field in fields] == [
        "Lead0 (Prospect 0)",
        "Lead1 (Prospect 1)",
        "Lead2 (Prospect 2)",
    ]
    hook = receiver.to("/hooks/ana")[0].json
    assert hook["type"] == "import.digest"
    assert hook["data"]["new_leads"] == 3
    assert hook["data"]["lead_ids"] == sorted(
        Lead.objects.filter(owner=team.ana).values_list("id", flat=True)
    )
    (email,) = mail.outbox
    assert email.subject.startswith("3 new leads from expo.csv")
    assert "Open your queue: http" in email.body
    assert len(receiver.to("/agent")) == 2


def test_each_lead_can_be_its_own_message_instead(team):
    run_import(HEADER + rows(2), notify="each")

    to_ana = Notification.objects.filter(rep=team.ana)
    assert set(to_ana.values_list("kind", flat=True)) == {"lead.assigned"}
    assert to_ana.count() == 2 * 3  # two leads, three channels
    assert not Notification.objects.filter(kind="import.digest").exists()


def test_a_row_whose_email_has_an_open_lead_joins_it_and_its_owner_hears_in_the_digest(team):
    existing = submit(email="pat@prospect.com", source="demo_request")
    Notification.objects.all().delete()

    lead_import = run_import(
        HEADER + "PAT@prospect.com ,Pat,Prospect Inc,contact_form\n" + rows(1) + rows(1)
    )

    assert (lead_import.imported, lead_import.joined) == (1, 2)
    assert Lead.objects.count() == 2
    again = existing.events.get(kind=LeadEvent.Kind.RESUBMITTED)
    assert again.data["import"] == lead_import.pk and again.data["line"] == 2
    assert (
        Lead.objects.get(email="lead0@prospect0.com")
        .events.filter(kind=LeadEvent.Kind.RESUBMITTED)
        .count()
        == 1
    )  # the file's own repeat joined the lead of its first row
    digest = Notification.objects.get(rep=team.ana, channel="webhook")
    assert digest.payload["data"]["new_leads"] == 1
    assert digest.payload["data"]["returned_lead_ids"] == [existing.pk]


def test_a_stopped_import_carries_on_from_the_first_row_it_had_not_committed(team, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_ROWS", 2)
    data = (HEADER + rows(7)).encode()

    class Breaks(io.BytesIO):
        """The file's storage fails after the sixth line (five rows read)."""

        def __iter__(self):
            for number, line in enumerate(io.BytesIO(data), start=1):
                if number > 6:
                    raise OSError("the disk went away")
                yield line

    lead_import = lead_import_create(name="expo.csv", size=len(data))
    with pytest.raises(OSError):
        lead_import_run(lead_import=lead_import, source=Breaks())

    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.FAILED
    assert "the disk went away" in lead_import.error and "Run it again" in lead_import.error
    assert (lead_import.rows, Lead.objects.count()) == (4, 4)  # two batches committed

    lead_import = lead_import_run(lead_import=lead_import, source=io.BytesIO(data))

    assert lead_import.status == LeadImport.Status.DONE
    assert (lead_import.rows, lead_import.imported, lead_import.joined) == (7, 7, 0)
    assert Lead.objects.count() == 7
    assert Assignment.objects.count() == 7


def test_a_list_saved_by_a_spreadsheet_in_its_windows_code_page_is_read(team):
    run_import(
        HEADER.encode() + "jo@prospect.com,Jürgen,Müller & Söhne,demo_request\n".encode("cp1252")
    )

    lead = Lead.objects.get()
    assert (lead.first_name, lead.company) == ("Jürgen", "Müller & Söhne")


def test_a_file_without_an_email_column_is_refused_with_the_reason(team):
    with pytest.raises(ImportProblem, match="No column gives the e-mail address"):
        run_import("mail,name\npat@prospect.com,Pat\n")

    lead_import = LeadImport.objects.get()
    assert lead_import.status == LeadImport.Status.FAILED
    assert "map it, e.g. E-mail=email" in lead_import.error
    assert not Lead.objects.exists()


def test_a_round_robin_pool_of_four_gets_equal_shares_from_a_large_list(db, monkeypatch):
    monkeypatch.setattr(runs, "BATCH_ROWS", 7)
    pool = Pool.objects.create(name="SMB", method=Pool.Method.ROUND_ROBIN)
    reps = [RepFactory() for _ in range(4)]
    for rep in reps:
        PoolMembershipFactory(pool=pool, rep=rep)
    from tests.factories import RuleFactory, RuleSetFactory

    ruleset = RuleSetFactory(is_active=True, fallback_rep=reps[0])
    RuleFactory(ruleset=ruleset, conditions={}, route_to="pool", route_pool=pool, route_rep=None)

    run_import(HEADER + rows(100))

    assert sorted(Counter(Assignment.objects.values_list("rep_id", flat=True)).values()) == [
        25,
        25,
        25,
        25,
    ]


@pytest.mark.django_db(transaction=True)
def test_an_import_running_in_another_process_is_not_run_twice(team):
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    data = (HEADER + rows(3)).encode()
    lead_import = lead_import_create(name="expo.csv", size=len(data))
    other = connections.create_connection("default")  # another process's session
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)", [runs.IMPORT_LOCK_SPACE, lead_import.pk]
            )

        lead_import_run(lead_import=lead_import, source=io.BytesIO(data))
        assert not Lead.objects.exists()
        assert lead_import.status == LeadImport.Status.QUEUED

        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        lead_import_run(lead_import=lead_import, source=io.BytesIO(data))
        assert Lead.objects.count() == 3
    finally:
        other.close()


def test_subscribed_systems_get_each_imported_lead_as_intake_would_send_it(team):
    crm = WebhookSubscription.objects.create(name="CRM", url="https://crm.example.com/hooks")
    api_lead = submit(email="api@prospect.com", source="demo_request")
    sent_for_api = Notification.objects.get(subscription=crm, lead=api_lead)

    run_import(HEADER + "pat@prospect.com,Pat,Prospect Inc,demo_request\n")

    lead = Lead.objects.get(email="pat@prospect.com")
    delivery = Notification.objects.get(subscription=crm, lead=lead)
    assert delivery.kind == "lead.assigned" and delivery.channel == "webhook"
    assert delivery.assignment == lead.assignments.get()
    body, api_body = delivery.payload, sent_for_api.payload
    assert body["data"]["lead"]["email"] == "pat@prospect.com"
    assert body["data"]["assignment"]["owner"]["name"] == "Ana"
    assert set(body["data"]) == set(api_body["data"])
    assert set(body["data"]["lead"]) == set(api_body["data"]["lead"])
