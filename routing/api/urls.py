from __future__ import annotations

from django.urls import path

from .lead_actions import LeadAcknowledgeView, LeadHandoffView, LeadOutcomeView
from .metrics import MetricsView
from .views import LeadDetailView, LeadIntakeView, RouteSimulateView

app_name = "api"

urlpatterns = [
    path("leads/", LeadIntakeView.as_view(), name="lead-intake"),
    path("leads/<int:pk>/", LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<int:pk>/acknowledge/", LeadAcknowledgeView.as_view(), name="lead-acknowledge"),
    path("leads/<int:pk>/outcome/", LeadOutcomeView.as_view(), name="lead-outcome"),
    path("leads/<int:pk>/handoff/", LeadHandoffView.as_view(), name="lead-handoff"),
    path("route/simulate/", RouteSimulateView.as_view(), name="route-simulate"),
    path("metrics/", MetricsView.as_view(), name="metrics"),
]
