from __future__ import annotations

import pytest

from reps.models import Rep
from reps.services import rep_ensure_login
from tests.factories import AgentFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_gets_a_login_with_their_email_and_no_usable_password():
    rep = RepFactory(email="ana@example.com")
    user = rep_ensure_login(rep=rep)
    assert Rep.objects.get(pk=rep.pk).user == user
    assert user.email == "ana@example.com"
    assert not user.has_usable_password()


def test_an_agent_never_gets_a_login():
    agent = AgentFactory()
    assert rep_ensure_login(rep=agent) is None
    assert Rep.objects.get(pk=agent.pk).user is None


def test_the_login_follows_a_changed_rep_email():
    rep = RepFactory(email="ana@example.com")
    user = rep_ensure_login(rep=rep)
    rep.email = "ana.silva@example.com"
    rep_ensure_login(rep=rep)
    user.refresh_from_db()
    assert user.email == "ana.silva@example.com"


def test_the_login_keeps_its_email_when_the_new_one_is_taken():
    rep = RepFactory(email="ana@example.com")
    user = rep_ensure_login(rep=rep)
    UserFactory(email="taken@example.com")
    rep.email = "taken@example.com"
    rep_ensure_login(rep=rep)
    user.refresh_from_db()
    assert user.email == "ana@example.com"
