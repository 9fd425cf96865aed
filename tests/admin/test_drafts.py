"""Safe change: clone the active rule set into a draft, replay leads through it, then
activate it; nothing the replay does is stored."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from reps.models import Pool
from routing.models import PoolRotation, Rule, RuleSet
from routing.replay import replay_csv, replay_stored
from routing.services import ruleset_activate, ruleset_clone
from tests.api.conftest import stored_counts
from tests.team import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(team, staff_user):
    """A draft of the team's rule set that sends demo requests to the Closers."""
    draft = ruleset_clone(ruleset=team.ruleset, user=staff_user)
    rule = draft.rules.get(name="Demo requests")
    rule.route_to, rule.route_rep = Rule.RouteTo.POOL, None
    rule.route_pool = Pool.objects.get(name="Closers")
    rule.save()
    return draft


def test_a_clone_is_an_inactive_copy_with_every_rule(team, draft, staff_user):
    assert draft.name == "Inbound (draft 1)" and not draft.is_active
    assert list(draft.rules.values_list("name", flat=True)) == ["Demo requests", "Free signups"]
    signups = draft.rules.get(name="Free signups")
    assert signups.handoff_to_pool == team.signups.handoff_to_pool
    assert draft.notify_on_escalation == ["manager@example.com"]
    assert draft.history.first().history_user == staff_user
    assert ruleset_clone(ruleset=team.ruleset, user=staff_user).name == "Inbound (draft 2)"


def test_replaying_stored_leads_shows_what_would_change_and_stores_nothing(team, draft):
    for n in range(4):
        submit(email=f"demo{n}@prospect.com", source="demo_request")
    submit(email="dev@gmail.com", source="free_signup")
    before = stored_counts()
    cursors = dict(PoolRotation.objects.values_list("pool_id", "cursor"))

    now = timezone.now()
    result = replay_stored(ruleset_id=draft.pk, start=now - timedelta(hours=1), end=now)

    assert len(result.rows) == 5 and len(result.changed) == 4
    assert ("Ana", 4, 0) in result.by_owner
    owners = dict((name, draft_count) for name, _, draft_count in result.by_owner)
    assert owners["Bo"] == owners["Cy"] == 2  # the rotation turns during the replay
    assert stored_counts() == before
    assert dict(PoolRotation.objects.values_list("pool_id", "cursor")) == cursors


def test_replaying_a_csv_compares_with_the_active_rule_set_and_reports_bad_rows(team, draft):
    text = [
        "email,source,company\n",
        "pat@prospect.com,demo_request,Prospect\n",
        "not-an-email,demo_request,Nobody\n",
        "dev@gmail.com,free_signup,\n",
    ]
    result = replay_csv(ruleset_id=draft.pk, source=io.BytesIO("".join(text).encode()))
    assert [(row.today_owner, row.draft_rule) for row in result.rows] == [
        ("Ana", "Demo requests"),
        ("SDR Bot", "Free signups"),
    ]
    assert result.errors and result.errors[0][0] == 3 and "email" in result.errors[0][1]
    assert (
        result.errors[0][1]
        == "email: 'not-an-email' is not an e-mail address like ana@example.com."
    )


def test_the_admin_clones_replays_and_activates(admin_client, team, draft):
    submit(source="demo_request")
    response = admin_client.post(
        "/admin/routing/ruleset/",
        {"action": "clone", "_selected_action": [team.ruleset.pk]},
        follow=True,
    )
    assert "is a draft copy of “Inbound”" in response.content.decode()

    page = admin_client.get(f"/admin/routing/ruleset/{draft.pk}/replay/?days=7")
    assert "1 of 1 leads would go elsewhere" in page.content.decode()
    upload = SimpleUploadedFile("leads.csv", b"email,source\nsam@x.com,demo_request\n")
    page = admin_client.post(f"/admin/routing/ruleset/{draft.pk}/replay/", {"csv": upload})
    assert "the 1 leads of leads.csv" in page.content.decode()

    ruleset_activate(ruleset=draft, user=None)
    assert RuleSet.objects.get(is_active=True) == draft
    lead = submit(email="after@prospect.com", source="demo_request")
    assert lead.owner.name in ("Bo", "Cy")
    assert team.ruleset.history.filter(is_active=False).exists()  # history shows the switch


def test_a_replayed_csv_with_a_huge_cell_and_an_open_quote_lists_them_and_replays_the_rest(
    admin_client, team, draft
):
    text = (
        "email,source,message\n"
        f"big@prospect.com,demo_request,{'m' * 150_000}\n"
        "sam@prospect.com,demo_request,Hi\n"
        'pat@prospect.com,demo_request,"Hello\n'
        "dev@gmail.com,free_signup,\n"
    )
    upload = SimpleUploadedFile("leads.csv", text.encode())

    page = admin_client.post(f"/admin/routing/ruleset/{draft.pk}/replay/", {"csv": upload})

    html = page.content.decode()
    assert page.status_code == 200 and "the 1 leads of leads.csv" in html
    assert "<li>line 2: The row has 150,031 bytes, more than the 65,536 a lead may have" in html
    assert "<li>line 4: A quote opened here is never closed (it swallowed lines 4–5" in html
