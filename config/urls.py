from django.contrib import admin
from django.urls import include, path, re_path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from reps.password_reset import PasswordForgotSentView, PasswordForgotView
from routing.api.views import api_not_found
from routing.dashboard import dashboard
from routing.dashboard_export import dashboard_leads_csv, dashboard_table_csv
from routing.views import AcknowledgeLinkView

admin.site.site_header = "Lead Router"
admin.site.site_title = "Lead Router admin"
admin.site.index_title = "Routing set-up"
# "View site" in the admin's header: what a manager means by the site is the dashboard.
admin.site.site_url = reverse_lazy("dashboard")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("queue/", include("routing.queue.urls")),
    path("invite/", include("reps.urls")),
    path("password-reset/", PasswordForgotView.as_view(), name="password-forgot"),
    path("password-reset/sent/", PasswordForgotSentView.as_view(), name="password-forgot-sent"),
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/leads.csv", dashboard_leads_csv, name="dashboard-leads-csv"),
    path("dashboard/<slug:table>.csv", dashboard_table_csv, name="dashboard-table-csv"),
    path("ack/<str:token>/", AcknowledgeLinkView.as_view(), name="acknowledge"),
    path("api/v1/", include("routing.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    re_path(r"^api/", api_not_found),
]
