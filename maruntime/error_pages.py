"""How an error looks on each surface when no view renders it: an unknown route, a request
the input guard refuses, an exception that escaped a view.

``/v1`` answers in OpenAI's envelope (``gateway.errors``), the admin API in DRF's format
(``{"detail": ...}``), always JSON; the Django admin site keeps Django's own pages. These
are the URLconfs' ``handler400``/``handler404``/``handler500``, so they hold in production
(``DEBUG`` off) whatever went wrong.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from gateway.errors import error_response

GATEWAY_PREFIX = "/v1/"
ADMIN_API_PREFIX = "/api/admin/"


def is_gateway_path(path: str) -> bool:
    return path.startswith(GATEWAY_PREFIX) or path == GATEWAY_PREFIX.rstrip("/")


def is_admin_api_path(path: str) -> bool:
    return path.startswith(ADMIN_API_PREFIX)


def surface_error_response(
    request: HttpRequest,
    status: int,
    message: str,
    *,
    code: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
) -> HttpResponse | None:
    """The error in the format of the surface ``request`` is for; None outside ``/v1`` and
    the admin API (the caller falls back to Django's page)."""
    if is_gateway_path(request.path):
        return error_response(status, message, code=code, error_type=error_type, param=param)
    if is_admin_api_path(request.path):
        body: dict[str, Any] = {"detail": message} if param is None else {param: [message]}
        return JsonResponse(body, status=status)
    return None


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    return surface_error_response(
        request, 400, "The request could not be understood", code="bad_request"
    ) or defaults.bad_request(request, exception, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    return surface_error_response(
        request, 404, f"Unknown route: {request.method} {request.path[:200]}", code="not_found"
    ) or defaults.page_not_found(request, exception, **kwargs)


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return surface_error_response(
        request,
        500,
        "The server had an error while processing your request",
        code="internal_error",
        error_type="server_error",
    ) or defaults.server_error(request, **kwargs)
