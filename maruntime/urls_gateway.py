"""The gateway surface: OpenAI-compatible ``/v1``, health and metrics."""

from django.urls import include, path

urlpatterns = [path("", include("gateway.urls"))]

# Errors no view rendered: JSON in each API's format (maruntime.error_pages).
handler400 = "maruntime.error_pages.bad_request"
handler404 = "maruntime.error_pages.page_not_found"
handler500 = "maruntime.error_pages.server_error"
