from django.urls import path

from .invite_views import InviteSetPasswordView

app_name = "invites"

urlpatterns = [
    path("<uidb64>/<token>/", InviteSetPasswordView.as_view(), name="set_password"),
]
