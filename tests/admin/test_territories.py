"""Territories and named accounts in the admin."""

from __future__ import annotations

import pytest

from territories.admin import matcher_summary
from territories.models import AccountDomain, NamedAccount, Territory
from tests.admin.helpers import admin_url, errors_of, inline_prefix, page_data, set_inline_rows
from tests.factories import (
    AccountDomainFactory,
    PoolFactory,
    RepFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db


def _territory_data(admin_client, **fields):
    data = page_data(admin_client.get(admin_url(Territory, "add")))
    data.update({"name": "West", "countries": "us", "states": "CA, OR, WA", **fields})
    return data


def test_territory_with_a_pool_owner_is_created_with_clean_matchers(admin_client):
    pool = PoolFactory(name="West AEs")
    data = _territory_data(admin_client, owner_pool=pool.pk, postal_codes="100-104, 112")

    response = admin_client.post(admin_url(Territory, "add"), data)

    assert response.status_code == 302, errors_of(response)
    territory = Territory.objects.get(name="West")
    assert territory.countries == ["US"]
    assert territory.postal_codes == ["100-104", "112"]
    assert territory.owner_pool == pool


@pytest.mark.parametrize("owners", ["both", "neither"])
def test_territory_needs_exactly_one_owner(admin_client, owners):
    fields = (
        {"owner_rep": RepFactory().pk, "owner_pool": PoolFactory().pk} if owners == "both" else {}
    )
    response = admin_client.post(
        admin_url(Territory, "add"), _territory_data(admin_client, **fields)
    )

    assert response.status_code == 200
    assert "Choose either a rep or a pool for owner." in errors_of(response)
    assert "Choose either a rep or a pool for owner." in response.content.decode()
    assert not Territory.objects.exists()


def test_territory_matcher_errors_name_the_problem(admin_client):
    data = _territory_data(
        admin_client, owner_rep=RepFactory().pk, countries="US, XX", postal_codes="104-100"
    )
    errors = errors_of(admin_client.post(admin_url(Territory, "add"), data))
    assert "Not ISO 3166-1 alpha-2 country codes: XX (e.g. US, DE, GB)." in errors
    assert "Postal range '104-100' runs backwards." in errors


def test_matcher_summary_reads_like_a_sentence():
    territory = TerritoryFactory.build(
        countries=["US"],
        states=["CA", "OR", "WA"],
        postal_codes=["100-104", "112"],
        employee_count_min=50,
        employee_count_max=499,
    )
    assert matcher_summary(territory) == "US · CA, OR, WA · ZIP 100-104, 112 · 50–499 employees"
    assert matcher_summary(TerritoryFactory.build(countries=[], employee_count_min=500)) == (
        "500+ employees"
    )


def test_territory_list_shows_matchers_and_owner(admin_client):
    TerritoryFactory(name="Metro NY", postal_codes=["100-104"], owner_rep__name="Cy")
    content = admin_client.get(admin_url(Territory, "changelist")).content.decode()
    assert "US · ZIP 100-104" in content
    assert "Cy (rep)" in content


def _account_data(admin_client, domains, **fields):
    page = admin_client.get(admin_url(NamedAccount, "add"))
    data = page_data(page)
    data.update({"name": "Acme Corp", "tier": "strategic", "owner": RepFactory().pk, **fields})
    rows = [{"domain": domain} for domain in domains]
    return set_inline_rows(data, inline_prefix(page, AccountDomain), rows)


def test_pasted_urls_and_emails_become_bare_domains(admin_client):
    data = _account_data(admin_client, ["https://www.Acme.com/", "sales@Acme.co.UK"])

    response = admin_client.post(admin_url(NamedAccount, "add"), data)

    assert response.status_code == 302, errors_of(response)
    account = NamedAccount.objects.get(name="Acme Corp")
    assert sorted(account.domains.values_list("domain", flat=True)) == ["acme.co.uk", "acme.com"]
    assert account.normalized_name == "acme"


def test_a_domain_of_another_account_is_refused_naming_that_account(admin_client):
    AccountDomainFactory(domain="acme.com", account__name="Acme Holdings")
    data = _account_data(admin_client, ["https://www.ACME.com/pricing"], name="Acme Corp")

    response = admin_client.post(admin_url(NamedAccount, "add"), data)

    assert response.status_code == 200
    assert (
        "acme.com already belongs to the account “Acme Holdings”; remove it there first, "
        "or edit that account instead."
    ) in errors_of(response)
    assert not NamedAccount.objects.filter(name="Acme Corp").exists()


def test_not_a_domain_is_refused(admin_client):
    data = _account_data(admin_client, ["acme"])
    errors = errors_of(admin_client.post(admin_url(NamedAccount, "add"), data))
    assert "'acme' is not a domain name like acme.com." in errors


def test_an_account_keeps_its_own_domain_on_resubmit(admin_client):
    domain = AccountDomainFactory(domain="acme.com")
    url = admin_url(NamedAccount, "change", domain.account.pk)
    response = admin_client.post(url, page_data(admin_client.get(url)))
    assert response.status_code == 302, errors_of(response)


def test_accounts_are_found_by_domain_even_from_a_pasted_url(admin_client):
    AccountDomainFactory(domain="acme.com", account__name="Acme Corp")
    AccountDomainFactory(domain="globex.com", account__name="Globex")
    url = admin_url(NamedAccount, "changelist")
    for term in ("acme.com", "https://www.acme.com/about"):
        result = admin_client.get(url, {"q": term}).context["cl"].result_list
        assert [account.name for account in result] == ["Acme Corp"]
