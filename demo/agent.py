"""Where the demo agent lives and how it signs in: shared by the set-up and the agent."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEMO_AGENT_EMAIL = "sdr-bot@example.com"
WEBHOOK_PATH = "/demo/agent/leads/"
KEY_NAME = "Demo nurture agent"


def demo_agent_url() -> str:
    """The agent's webhook on the server the links point at: `dev.py run` sets SITE_URL
    to its own port, so the deliveries follow PORT."""
    return settings.LEADROUTER["SITE_URL"] + WEBHOOK_PATH


def demo_agent_key_file() -> Path:
    """The agent's intake key (made by setup_demo, only its hash is in the database)."""
    return Path(settings.VAR_DIR) / "demo-agent-key"
