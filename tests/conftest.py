from __future__ import annotations

import pytest

from tests.factories import StaffUserFactory


@pytest.fixture
def staff_user():
    return StaffUserFactory(email="manager@example.com")


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def receiver():
    from tests.receiver import Receiver

    with Receiver() as server:
        yield server


@pytest.fixture
def team(db, receiver):
    from tests.team import build_team

    return build_team(receiver)
