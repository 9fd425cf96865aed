"""The product's URLs plus `POST /bench/bare/`: the cheapest honest intake on this stack.

The bare view does what any intake endpoint must: authenticate the intake key (the
product's IntakeKeyAuthentication, one indexed read), parse and validate the JSON body
(a minimal serializer: e-mail required, a few optional text fields), and insert one row
(`Lead.objects.create(email=..., email_domain=..., payload=...)`), answering 201 {"id"}.
No normalization, no duplicate check, no routing, no history: the floor the product's
intake is compared with.
"""

from __future__ import annotations

from django.urls import path
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as product_urlpatterns
from routing.api.authentication import HasIntakeKey, IntakeKeyAuthentication
from routing.models import Lead


class BareLeadSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source = serializers.CharField(max_length=50, required=False, allow_blank=True)


class BareLeadView(APIView):
    authentication_classes = [IntakeKeyAuthentication]
    permission_classes = [HasIntakeKey]
    throttle_classes: list = []
    renderer_classes = [JSONRenderer]

    def post(self, request: Request) -> Response:
        serializer = BareLeadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"].strip().lower()
        lead = Lead.objects.create(
            email=email, email_domain=email.rpartition("@")[2], payload=request.data
        )
        return Response({"id": lead.pk}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/bare/", BareLeadView.as_view(), name="bench-bare"),
    *product_urlpatterns,
]
