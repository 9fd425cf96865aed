"""The Celery app: `celery -A config worker --beat` finds it as `config.celery.app`."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

# Workers and the scheduler are started by hand only on servers (`dev.py run` names the
# development settings for its own), so they default to production, as the web does.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("leadrouter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_state_folders(sender: Celery, **_: object) -> None:
    # The file-system broker (development without Redis) needs its folders to exist
    # before the first message is written, by whichever process comes first; the
    # scheduler's state file needs its folder (VAR_DIR), on a new server too.
    options = sender.conf.broker_transport_options or {}
    keys = ("data_folder_in", "data_folder_out", "control_folder")
    folders = [Path(options[key]) for key in keys if key in options]
    if sender.conf.beat_schedule_filename:
        folders.append(Path(sender.conf.beat_schedule_filename).parent)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


@worker_ready.connect
def _listen_for_outbox(**_: object) -> None:
    # Committed outbox rows wake this worker through PostgreSQL (NOTIFY), if in use.
    from routing.notifications.listener import outbox_listener_start

    outbox_listener_start()


@worker_shutdown.connect
def _stop_listening(**_: object) -> None:
    from routing.notifications.listener import outbox_listener_stop

    outbox_listener_stop()
