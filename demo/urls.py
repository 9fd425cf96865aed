"""The development server's URLs (config.settings.local): the site's, and the demo agent."""

from __future__ import annotations

from django.urls import include, path

from .agent import WEBHOOK_PATH
from .views import agent_webhook

urlpatterns = [
    path(WEBHOOK_PATH.strip("/") + "/", agent_webhook, name="demo-agent-webhook"),
    path("", include("config.urls")),
]
