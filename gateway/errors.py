"""OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from django.http import JsonResponse

from maruntime.errors import DomainError


def error_response(
    status: int,
    message: str,
    *,
    code: str,
    error_type: str = "invalid_request_error",
    param: str | None = None,
    retry_after: int | None = None,
) -> JsonResponse:
    response = JsonResponse(
        {"error": {"message": message, "type": error_type, "param": param, "code": code}},
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def domain_error_response(error: DomainError) -> JsonResponse:
    return error_response(
        error.http_status,
        error.message,
        code=error.code,
        error_type=error.error_type,
        param=error.param,
        retry_after=error.retry_after,
    )
