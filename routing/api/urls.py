from __future__ import annotations

from django.urls import path

from .views import LeadDetailView, LeadIntakeView, RouteSimulateView

app_name = "api"

urlpatterns = [
    path("leads/", LeadIntakeView.as_view(), name="lead-intake"),
    path("leads/<int:pk>/", LeadDetailView.as_view(), name="lead-detail"),
    path("route/simulate/", RouteSimulateView.as_view(), name="route-simulate"),
]
