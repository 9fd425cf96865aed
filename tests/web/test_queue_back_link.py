"""A lead opened from a filtered page of the queue leads back to that same page: tab,
search, filters and page; and the way back never leads anywhere but the queue."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.http import HttpRequest

from tests.team import PASSWORD
from tests.web.queue_leads import owned_lead, unclaimed_lead

pytestmark = pytest.mark.django_db


def signed_in(client, rep):
    assert client.login(request=HttpRequest(), username=rep.email, password=PASSWORD)
    return client


def lead_hrefs(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'<a href="(/queue/leads/\d+/[^"]*)">', html)]


def back_link(html: str) -> tuple[str, str]:
    href, label = re.search(r'<a class="back" href="([^"]*)">← ([^<]+)</a>', html).groups()
    return unescape(href), label


def test_a_lead_opened_from_a_filtered_second_page_links_back_to_that_page(client, team):
    for number in range(30):
        owned_lead(team.ana, first_name="Acme", last_name=f"Buyer{number:02}", company="Acme")
    client = signed_in(client, team.ana)

    listing = client.get("/queue/", {"q": "acme", "age": "week", "page": "2"}).content.decode()
    lead_page = client.get(lead_hrefs(listing)[0]).content.decode()

    href, label = back_link(lead_page)
    assert label == "My leads"
    assert href == "/queue/?q=acme&age=week&page=2"
    back = client.get(href).content.decode()
    assert "30 leads match · page 2 of 2" in back and 'value="acme"' in back


def test_a_lead_opened_from_the_shared_queue_links_back_to_the_shared_queue(client, team):
    unclaimed_lead(team.closers, first_name="Waiting", company="Hooli")
    client = signed_in(client, team.bo)

    listing = client.get("/queue/", {"tab": "shared", "q": "hooli"}).content.decode()
    href, label = back_link(client.get(lead_hrefs(listing)[0]).content.decode())

    assert (href, label) == ("/queue/?tab=shared&q=hooli", "Shared queue")


def test_the_plain_list_links_its_leads_without_a_way_back_to_carry(client, team):
    lead = owned_lead(team.ana)
    client = signed_in(client, team.ana)

    assert lead_hrefs(client.get("/queue/").content.decode()) == [f"/queue/leads/{lead.pk}/"]
    assert back_link(client.get(f"/queue/leads/{lead.pk}/").content.decode()) == (
        "/queue/",
        "My leads",
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example/",
        "https://evil.example/",
        "/admin/",
        "q=acme&next=https://evil.example/",
        "tab=shared&status=assigned",  # a filter the form refuses
        "q=acme&page=-1",
        "q=" + "x" * 600,
    ],
)
def test_a_way_back_that_is_not_a_queue_list_falls_back_to_the_plain_list(client, team, hostile):
    lead = owned_lead(team.ana)
    client = signed_in(client, team.ana)

    html = client.get(f"/queue/leads/{lead.pk}/", {"back": hostile}).content.decode()

    assert back_link(html) == ("/queue/", "My leads")
    assert 'name="back"' not in html
    assert "evil.example" not in html


def test_acknowledging_keeps_the_way_back_to_the_list(client, team):
    lead = owned_lead(team.ana, company="Acme")
    client = signed_in(client, team.ana)

    page = client.get(f"/queue/leads/{lead.pk}/", {"back": "q=acme&status=assigned"})
    assert 'name="back" value="q=acme&amp;status=assigned"' in page.content.decode()
    response = client.post(
        f"/queue/leads/{lead.pk}/acknowledge/", {"back": "q=acme&status=assigned"}
    )

    assert response.status_code == 302
    after = client.get(response["Location"]).content.decode()
    assert "Acknowledged" in after
    assert back_link(after)[0] == "/queue/?q=acme&status=assigned"


def test_an_action_given_a_hostile_way_back_returns_to_the_lead_page_alone(client, team):
    lead = owned_lead(team.ana)
    client = signed_in(client, team.ana)

    response = client.post(
        f"/queue/leads/{lead.pk}/acknowledge/", {"back": "https://evil.example/"}
    )

    assert response["Location"] == f"/queue/leads/{lead.pk}/"


def test_claiming_from_a_searched_shared_queue_keeps_the_way_back_to_it(client, team):
    lead = unclaimed_lead(team.closers, first_name="Waiting", company="Hooli")
    client = signed_in(client, team.bo)

    listing = client.get("/queue/", {"tab": "shared", "q": "hooli"}).content.decode()
    assert 'name="back" value="tab=shared&amp;q=hooli"' in listing
    response = client.post(f"/queue/leads/{lead.pk}/claim/", {"back": "tab=shared&q=hooli"})

    after = client.get(response["Location"]).content.decode()
    assert "The lead is yours" in after
    assert back_link(after) == ("/queue/?tab=shared&q=hooli", "Shared queue")
