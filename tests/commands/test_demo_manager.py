"""The demo's manager signs in with the demo password as a Sales manager, not a superuser."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from reps.models import User
from reps.roles import SALES_MANAGER
from tests.roles import ensure_sales_manager_group

pytestmark = pytest.mark.django_db


def test_setup_demo_prints_a_sales_manager_login_with_the_demo_password(tmp_path):
    ensure_sales_manager_group()
    out = StringIO()
    call_command(
        "setup_demo",
        password_file=str(tmp_path / "password"),
        key_file=str(tmp_path / "key"),
        agent_key_file=str(tmp_path / "agent-key"),
        stdout=out,
    )
    output = out.getvalue()
    password = re.search(r"Password:\s+(\S+)", output)[1]

    assert "Demo manager: sales-manager@example.com" in output
    manager = User.objects.get(email="sales-manager@example.com")
    assert manager.check_password(password)
    assert manager.is_staff and not manager.is_superuser
    assert list(manager.groups.values_list("name", flat=True)) == [SALES_MANAGER]
