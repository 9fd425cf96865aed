"""A queue that scales: tabs with counts, search, filters and pages, for a rep with many
leads; only ever the rep's own leads and their shared queue's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import HttpRequest
from django.utils import timezone

from routing.models import Lead
from tests.factories import PoolMembershipFactory
from tests.team import PASSWORD
from tests.web.queue_leads import owned_lead, unclaimed_lead

pytestmark = pytest.mark.django_db


def signed_in(client, rep):
    assert client.login(request=HttpRequest(), username=rep.email, password=PASSWORD)
    return client


def lead_links(html: str) -> list[int]:
    """The leads listed on a queue page, in order."""
    return [int(pk) for pk in re.findall(r'<a href="/queue/leads/(\d+)/(?:\?back=[^"]*)?">', html)]


def tab_counts(html: str) -> dict[str, int]:
    found = re.findall(r'>(My leads|Shared queue) <span class="count">(\d+)</span>', html)
    return {name: int(count) for name, count in found}


def test_the_tabs_count_my_leads_and_the_shared_queue(client, team):
    for number in range(3):
        owned_lead(team.bo, first_name=f"Mine{number}")
    owned_lead(team.bo, status=Lead.Status.CONVERTED)  # closed: not in the count
    owned_lead(team.cy)  # someone else's
    for _ in range(2):
        unclaimed_lead(team.closers)

    html = signed_in(client, team.bo).get("/queue/").content.decode()

    assert tab_counts(html) == {"My leads": 3, "Shared queue": 2}
    shared = client.get("/queue/?tab=shared").content.decode()
    assert tab_counts(shared) == {"My leads": 3, "Shared queue": 2}
    assert len(lead_links(shared)) == 2 and "Claim</button>" in shared


def test_search_finds_my_leads_by_name_email_or_company(client, team):
    nate = owned_lead(team.ana, first_name="Nate", last_name="Brooks", company="Globex")
    ines = owned_lead(team.ana, first_name="Ines", email="ines@initech.io", company="Initech")
    owned_lead(team.ana, first_name="Pat", company="Umbrella")
    client = signed_in(client, team.ana)

    def found(query: str) -> list[int]:
        return lead_links(client.get("/queue/", {"q": query}).content.decode())

    assert found("nate brooks") == [nate.pk]  # every word, in any field, any case
    assert found("initech.io") == [ines.pk]
    assert found("GLOBEX") == [nate.pk]
    assert found("nate initech") == []
    assert "No lead of yours matches" in client.get("/queue/?q=nobody").content.decode()


def test_search_never_reaches_another_reps_leads(client, team):
    owned_lead(team.cy, first_name="Hidden", company="Secret Co")
    unclaimed = unclaimed_lead(team.closers, first_name="Waiting")
    client = signed_in(client, team.ana)  # Ana is in no pool

    assert lead_links(client.get("/queue/?q=Hidden").content.decode()) == []
    assert lead_links(client.get("/queue/?tab=shared&q=Waiting").content.decode()) == []
    bo = signed_in(client, team.bo)
    assert lead_links(bo.get("/queue/?tab=shared&q=Waiting").content.decode()) == [unclaimed.pk]
    assert lead_links(bo.get("/queue/?q=Hidden").content.decode()) == []


def test_the_status_filter_narrows_my_leads_and_finds_closed_ones(client, team):
    waiting = owned_lead(team.ana)
    working = owned_lead(team.ana, acknowledged=True, status=Lead.Status.CONTACTED)
    won = owned_lead(team.ana, acknowledged=True, status=Lead.Status.CONVERTED)
    client = signed_in(client, team.ana)

    assert set(lead_links(client.get("/queue/").content.decode())) == {waiting.pk, working.pk}
    assert lead_links(client.get("/queue/?status=contacted").content.decode()) == [working.pk]
    converted = client.get("/queue/?status=converted").content.decode()
    assert lead_links(converted) == [won.pk]
    assert '<option value="converted" selected>Converted</option>' in converted


def test_overdue_shows_only_leads_past_their_deadline(client, team):
    now = timezone.now()
    late = owned_lead(team.ana, created_at=now - timedelta(minutes=20))  # due 5 minutes ago
    owned_lead(team.ana, created_at=now)  # due in 15 minutes
    owned_lead(team.ana, created_at=now - timedelta(hours=2), acknowledged=True)
    owned_lead(team.ana, created_at=now - timedelta(hours=2), due_in=None)  # no deadline

    html = signed_in(client, team.ana).get("/queue/?overdue=on").content.decode()

    assert lead_links(html) == [late.pk]
    assert "1 lead matches" in html


def test_age_counts_today_from_midnight_where_the_rep_is(client, team):
    team.ana.timezone = "America/Chicago"
    team.ana.save()
    # 05:00 UTC is 23:00 the evening before in Chicago.
    now = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    tonight = owned_lead(team.ana, created_at=now - timedelta(hours=1))  # 22:00 in Chicago
    yesterday = owned_lead(team.ana, created_at=now - timedelta(hours=24))
    last_month = owned_lead(team.ana, created_at=now - timedelta(days=30))
    client = signed_in(client, team.ana)

    with time_machine.travel(now, tick=False):

        def aged(age: str) -> set[int]:
            return set(lead_links(client.get("/queue/", {"age": age}).content.decode()))

        assert aged("today") == {tonight.pk}
        assert aged("week") == {tonight.pk, yesterday.pk}
        assert aged("older") == {last_month.pk}


def test_pages_of_25_keep_the_search_and_filters_in_their_links(client, team):
    for number in range(30):
        owned_lead(team.ana, first_name="Acme", last_name=f"Buyer{number:02}", company="Acme")
    for _ in range(5):
        owned_lead(team.ana, company="Other")
    client = signed_in(client, team.ana)

    first = client.get("/queue/", {"q": "acme", "age": "week"}).content.decode()
    assert len(lead_links(first)) == 25 and "30 leads match" in first
    assert "page 1 of 2" in first
    next_link = re.search(r'href="([^"]+)">Next →', first).group(1).replace("&amp;", "&")
    assert "q=acme" in next_link and "age=week" in next_link and "page=2" in next_link

    second = client.get(f"/queue/{next_link}").content.decode()
    assert len(lead_links(second)) == 5
    assert set(lead_links(first)).isdisjoint(lead_links(second))
    assert "← Previous" in second and "Next →" not in second
    # A page past the end, or not a number, shows a page that exists.
    assert len(lead_links(client.get("/queue/?q=acme&page=9").content.decode())) == 5
    assert len(lead_links(client.get("/queue/?q=acme&page=x").content.decode())) == 25


def test_the_most_urgent_lead_comes_first(client, team):
    now = timezone.now()
    acknowledged = owned_lead(team.ana, created_at=now - timedelta(hours=3), acknowledged=True)
    later = owned_lead(team.ana, created_at=now, due_in=timedelta(minutes=15))
    sooner = owned_lead(team.ana, created_at=now, due_in=timedelta(minutes=5))
    no_deadline = owned_lead(team.ana, created_at=now - timedelta(hours=1), due_in=None)

    html = signed_in(client, team.ana).get("/queue/").content.decode()

    assert lead_links(html) == [sooner.pk, later.pk, no_deadline.pk, acknowledged.pk]


def test_a_filter_that_does_not_hold_is_refused_and_the_tab_shown_whole(client, team):
    for _ in range(2):
        owned_lead(team.ana)
    client = signed_in(client, team.ana)

    response = client.get("/queue/?status=won&q=zzz")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Status: Select a valid choice. won is not one of the available choices." in html
    assert len(lead_links(html)) == 2  # the search was not applied either

    shared = client.get("/queue/?tab=shared&status=assigned")
    assert shared.status_code == 400
    assert "The shared queue holds unclaimed leads only" in shared.content.decode()
    assert 'aria-current="page">Shared queue' in shared.content.decode()  # still its tab
    too_long = client.get("/queue/", {"q": "x" * 201})
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.content.decode()


@pytest.mark.parametrize("leads", [5, 60])
def test_a_queue_page_costs_the_same_few_queries_however_many_leads(
    client, team, django_assert_max_num_queries, leads
):
    PoolMembershipFactory(pool=team.closers, rep=team.ana)
    for number in range(leads):
        owned_lead(team.ana, first_name=f"Lead{number}", source="demo_request")
        unclaimed_lead(team.closers, first_name=f"Waiting{number}")
    client = signed_in(client, team.ana)

    # Session, user and rep; the colleagues who may cover for the rep (availability);
    # two counts for the tabs; the page's count, leads and their open assignments.
    with django_assert_max_num_queries(9):
        mine = client.get("/queue/?q=lead&overdue=&age=week")
    with django_assert_max_num_queries(9):
        shared = client.get("/queue/?tab=shared&q=waiting")
    assert len(lead_links(mine.content.decode())) == min(leads, 25)
    assert len(lead_links(shared.content.decode())) == min(leads, 25)


def test_sources_and_statuses_read_in_words(client, team):
    PoolMembershipFactory(pool=team.closers, rep=team.ana)
    lead = owned_lead(team.ana, source="demo_request", acknowledged=True)
    Lead.objects.filter(pk=lead.pk).update(status=Lead.Status.QUALIFIED)
    unclaimed_lead(team.closers, source="pricing_page")
    client = signed_in(client, team.ana)

    home = client.get("/queue/").content.decode()
    shared = client.get("/queue/?tab=shared").content.decode()
    page = client.get(f"/queue/leads/{lead.pk}/").content.decode()

    assert "Demo request ·" in home and ">Qualified</span>" in home
    assert "Pricing page ·" in shared
    assert "<dd>Demo request</dd>" in page
    for html in (home, shared, page):
        assert "demo_request" not in html and "pricing_page" not in html
