"""IMPORT_SLA from the environment: the default, a choice, and a mistake named at start."""

from __future__ import annotations

from tests.config.test_settings import _load_settings

SHOW = "settings.LEADROUTER['IMPORT_SLA'], settings.LEADROUTER['IMPORT_SLA_WORKING_HOURS']"


def test_imported_lists_default_to_eight_hours_of_working_time(tmp_path):
    result = _load_settings("config.settings.local", tmp_path, SHOW)
    assert result.stdout.strip() == "8h True", result.stderr


def test_the_import_sla_is_read_from_the_environment_and_written_one_way(tmp_path):
    chosen = _load_settings(
        "config.settings.local", tmp_path, SHOW, IMPORT_SLA="90M", IMPORT_SLA_WORKING_HOURS="0"
    )
    assert chosen.stdout.strip() == "1h30m False", chosen.stderr
    none = _load_settings("config.settings.local", tmp_path, SHOW, IMPORT_SLA=" None ")
    assert none.stdout.strip() == "none True", none.stderr


def test_an_import_sla_that_is_no_choice_stops_the_start_by_name(tmp_path):
    result = _load_settings("config.settings.local", tmp_path, SHOW, IMPORT_SLA="later")
    assert result.returncode != 0
    assert "IMPORT_SLA: 'later' is no SLA for a list: write rule" in result.stderr
