"""A rule set's `sticky_owner` and `same_company_owner`: a returning customer goes back
to the rep who had them, a colleague to the rep working their company's open lead — if
that rep is available now, otherwise by the rules. Named accounts come first; the trace
says which and why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from routing.explain import why_text
from routing.models import Lead, Rule
from tests.api.conftest import LEADS_URL, SIMULATE_URL, stored_counts
from tests.factories import AccountDomainFactory, NamedAccountFactory

pytestmark = pytest.mark.django_db

PAT = {"email": "pat@prospect.com", "first_name": "Pat", "company": "Prospect Inc"}
SAM = {"email": "sam@prospect.com", "first_name": "Sam", "company": "Prospect Inc"}


def options(team, *, sticky_owner: bool = False, same_company_owner: bool = False) -> None:
    team.ruleset.sticky_owner = sticky_owner
    team.ruleset.same_company_owner = same_company_owner
    team.ruleset.save()


def post(api: APIClient, person: dict, **fields) -> dict:
    response = api.post(LEADS_URL, {**person, **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def convert(rep, lead_id: int) -> None:
    client = APIClient()
    client.force_authenticate(user=rep.user)
    response = client.post(
        f"/api/v1/leads/{lead_id}/outcome/", {"outcome": "converted"}, format="json"
    )
    assert response.status_code == 200, response.json()


def familiar_steps(body: dict) -> list[dict]:
    return [step for step in body["decision"]["steps"] if step["step"] == "familiar"]


def test_a_converted_customer_coming_back_goes_to_their_last_owner(api, team):
    options(team, sticky_owner=True)
    first = post(api, PAT, source="demo_request")
    assert first["owner"]["name"] == "Ana"
    convert(team.ana, first["id"])

    back = post(api, PAT, message="We want more seats")  # the rules: the fallback, Dee

    assert back["owner"]["name"] == "Ana"
    (step,) = familiar_steps(back)
    assert step["why"] == "returning customer: Pat's last lead was Ana's"
    assert "reason" not in step
    assert back["decision"]["steps"][-1]["step"] == "assigned"
    # The owner's "why you got this lead" says it too.
    decision = Lead.objects.get(pk=back["id"]).decisions.first()
    assert "Returning customer: Pat's last lead was Ana's, so it went to Ana." in why_text(decision)


def test_a_returning_customer_whose_owner_is_out_of_office_goes_by_the_rules(api, team):
    options(team, sticky_owner=True)
    first = post(api, PAT, source="demo_request")
    convert(team.ana, first["id"])
    team.ana.out_of_office_until = timezone.now() + timedelta(days=3)
    team.ana.save()

    back = post(api, PAT)

    assert back["owner"]["name"] == "Dee"
    (step,) = familiar_steps(back)
    assert step["reason"].startswith("not available: out of office until")
    assert "; the rules decided." in why_text(Lead.objects.get(pk=back["id"]).decisions.first())


def test_a_returning_customer_outside_the_duplicate_window_goes_by_the_rules(api, team):
    options(team, sticky_owner=True)
    first = post(api, PAT, source="demo_request")
    convert(team.ana, first["id"])
    team.ruleset.duplicate_window = timedelta(seconds=0)
    team.ruleset.save()

    back = post(api, PAT)

    assert back["owner"]["name"] == "Dee"
    assert familiar_steps(back) == []


def test_a_colleague_goes_to_the_owner_of_their_companys_open_lead(api, team):
    options(team, same_company_owner=True)
    assert post(api, PAT, source="demo_request")["owner"]["name"] == "Ana"

    colleague = post(api, SAM)

    assert colleague["owner"]["name"] == "Ana"
    (step,) = familiar_steps(colleague)
    assert step["why"] == "same company as an open lead of Ana's (prospect.com)"
    # The rule the rules would pick sets the deadline: the fallback's, the rule set's SLA.
    assert colleague["rule"] is None


def test_a_colleague_whose_companys_owner_is_at_capacity_goes_by_the_rules(api, team):
    team.ana.max_open = 1
    team.ana.save()
    options(team, same_company_owner=True)
    assert post(api, PAT, source="demo_request")["owner"]["name"] == "Ana"

    colleague = post(api, SAM)

    assert colleague["owner"]["name"] == "Dee"
    (step,) = familiar_steps(colleague)
    assert step["reason"] == "not available: at capacity: 1 of 1 open leads"


def test_a_free_mail_colleague_goes_by_the_rules(api, team):
    options(team, same_company_owner=True)
    post(api, {**PAT, "email": "pat@gmail.com"}, source="demo_request")

    other = post(api, {**SAM, "email": "sam@gmail.com"})

    assert other["owner"]["name"] == "Dee"
    assert familiar_steps(other) == []


def test_a_named_account_goes_to_its_owner_even_with_same_company_owner(api, team):
    options(team, same_company_owner=True)
    assert post(api, PAT, source="demo_request")["owner"]["name"] == "Ana"
    AccountDomainFactory(
        account=NamedAccountFactory(name="Prospect", owner=team.cy), domain="prospect.com"
    )
    Rule.objects.create(
        ruleset=team.ruleset,
        position=0,
        name="Named accounts",
        conditions={"named_account": True},
        route_to=Rule.RouteTo.ACCOUNT_OWNER,
    )

    colleague = post(api, SAM)

    assert colleague["owner"]["name"] == "Cy"
    (step,) = familiar_steps(colleague)
    assert step["reason"] == "not used: the lead matches named account Prospect"


def test_with_both_options_off_returning_people_and_colleagues_go_by_the_rules(api, team):
    first = post(api, PAT, source="demo_request")
    convert(team.ana, first["id"])

    back = post(api, PAT)
    colleague = post(api, SAM)

    assert back["owner"]["name"] == "Dee" and colleague["owner"]["name"] == "Dee"
    assert familiar_steps(back) == familiar_steps(colleague) == []


def test_a_simulation_of_a_returning_customer_names_their_last_owner(api, team):
    options(team, sticky_owner=True)
    first = post(api, PAT, source="demo_request")
    convert(team.ana, first["id"])
    before = stored_counts()

    body = api.post(SIMULATE_URL, {**PAT, "message": "More seats?"}, format="json").json()

    assert body["owner"]["name"] == "Ana"
    (step,) = familiar_steps(body)
    assert step["why"] == "returning customer: Pat's last lead was Ana's"
    assert stored_counts() == before
