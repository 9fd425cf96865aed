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
