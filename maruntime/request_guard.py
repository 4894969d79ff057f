"""Refuses, before any view runs, URLs no view could use safely: a NUL character in the
path or a query parameter (PostgreSQL text cannot hold it, so a filter on it would fail
as a 500), and query strings or parameters past sane lengths.

One middleware for every surface; the refusal is a 400 in the route's format
(``maruntime.error_pages``). Bodies are checked where they are parsed
(``maruntime.json_input``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase

from maruntime.error_pages import surface_error_response
from maruntime.json_input import unstorable_text_reason

MAX_QUERY_STRING_BYTES = 8_192
MAX_QUERY_VALUE_CHARS = 2_000

Handler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


def url_refusal(request: HttpRequest) -> tuple[str, str | None] | None:
    """(why, the parameter) when the request's URL is refused, else None."""
    reason = unstorable_text_reason(request.path)
    if reason:
        return f"The URL path {reason}", None
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING_BYTES:
        return f"The query string is longer than {MAX_QUERY_STRING_BYTES} bytes", None
    for name, values in request.GET.lists():
        if unstorable_text_reason(name):
            return "A query parameter's name contains a NUL character", None
        for value in values:
            reason = unstorable_text_reason(value)
            if reason:
                return f"The query parameter '{name[:50]}' {reason}", name[:50]
            if len(value) > MAX_QUERY_VALUE_CHARS:
                return (
                    f"The query parameter '{name[:50]}' is longer than "
                    f"{MAX_QUERY_VALUE_CHARS} characters",
                    name[:50],
                )
    return None


class RequestGuardMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        refusal = url_refusal(request)
        if refusal is None:
            return await self.get_response(request)
        message, param = refusal
        response: HttpResponse | None = surface_error_response(
            request, 400, message, code="invalid_value", param=param
        )
        return response or HttpResponseBadRequest(message)
