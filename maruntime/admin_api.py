"""What every admin API view shares: who may call it, and how errors look.

Authentication: an ``X-API-Key`` header equal to ``settings.ADMIN_API_KEY`` (compared in
constant time), or a logged-in staff user's Django session. With no ``ADMIN_API_KEY``
configured every key is refused: the API is never open.

Status codes: missing credentials, a wrong key or a key while none is configured -> 401
(``WWW-Authenticate: X-API-Key``); a signed-in user who is not staff -> 403.

Input: bodies and pages are read by ``maruntime.admin_api_input`` (DRF settings).

Errors: domain errors from services render in DRF's format,
``{"<param or non_field_errors>": ["message"]}``, with the status the error carries
(400/404/409). A protected row that cannot be deleted answers 409, never 500.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import ProtectedError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, permissions, status
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from maruntime.errors import DomainError

API_KEY_HEADER = "X-API-Key"


class AdminKeyUser:
    """The principal of a request made with the admin API key (not a database user)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = True
    is_superuser = False
    pk = None
    id = None
    username = "admin-api-key"

    def __str__(self) -> str:
        return self.username


class AdminAPIKeyAuthentication(BaseAuthentication):
    """``X-API-Key: <ADMIN_API_KEY>``; no header -> try the next authenticator."""

    def authenticate(self, request: Request) -> tuple[AdminKeyUser, str] | None:
        supplied = request.headers.get(API_KEY_HEADER)
        if supplied is None:
            return None
        expected: str = settings.ADMIN_API_KEY
        if not expected:
            raise exceptions.AuthenticationFailed(
                "The admin API key is not configured on this server; key access is disabled."
            )
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            raise exceptions.AuthenticationFailed("Invalid admin API key.")
        return AdminKeyUser(), "api-key"

    def authenticate_header(self, request: Request) -> str:
        # A non-empty value makes DRF answer 401 (not 403) to missing credentials.
        return API_KEY_HEADER


class IsAdminKeyOrStaff(permissions.BasePermission):
    message = "Only staff users or the admin API key may use the admin API."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_staff", False))


class AdminAPIMixin:
    """Authentication and permission of every admin API view."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [
        AdminAPIKeyAuthentication,
        SessionAuthentication,
    ]
    permission_classes: Sequence[Any] = [IsAdminKeyOrStaff]

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return admin_exception_handler


class AdminAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "maruntime.admin_api.AdminAPIKeyAuthentication"
    name = "AdminApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}


# Several models name their choices ``State``; these give each enum its own schema name.


def domain_error_body(error: DomainError) -> dict[str, list[str]]:
    return {error.param or "non_field_errors": [error.message]}


def admin_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus domain errors and protected deletes in DRF's format."""
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(domain_error_body(exc), status=exc.http_status, headers=headers)
    if isinstance(exc, ProtectedError):
        return Response(
            {"non_field_errors": [f"Still referenced, cannot delete: {exc.args[0]}"]},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)
