from django.contrib.auth.views import LogoutView
from django.urls import path

from . import availability, views

app_name = "queue"

urlpatterns = [
    path("", views.queue_home, name="home"),
    path("login/", views.QueueLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="queue:login"), name="logout"),
    path("leads/<int:pk>/", views.LeadPageView.as_view(), name="lead"),
    path("leads/<int:pk>/acknowledge/", views.lead_acknowledge, name="acknowledge"),
    path("leads/<int:pk>/outcome/", views.lead_outcome, name="outcome"),
    path("leads/<int:pk>/claim/", views.lead_claim_view, name="claim"),
    path("availability/pause/", availability.availability_pause, name="pause"),
    path("availability/resume/", availability.availability_resume, name="resume"),
    path("availability/away/", availability.availability_away, name="away"),
    path("availability/back/", availability.availability_back, name="back"),
]
