"""The gateway surface: OpenAI-compatible ``/v1``, health and metrics."""

from django.urls import include, path

urlpatterns = [path("", include("gateway.urls"))]
