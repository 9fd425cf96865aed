from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import StaffUserFactory


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The `postgres` and `redis` markers skip a test where they say (pyproject.toml)."""
    if (
        item.get_closest_marker("postgres")
        and "postgresql" not in settings.DATABASES["default"]["ENGINE"]
    ):
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")


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


@pytest.fixture
def statements_logged():
    """Prepared statements off, so that every statement goes through Django's cursor,
    which logs it (a prepared one runs on psycopg's own cursor, which Django does not
    see)."""
    from django.db import connection

    options = connection.settings_dict["OPTIONS"]
    threshold = options.pop("prepare_threshold", None)
    yield
    if threshold is not None:
        options["prepare_threshold"] = threshold
