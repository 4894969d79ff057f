"""What every ``/v1`` view shares: method checks, authentication into a ``Caller`` (passed
to the view after the request), key limits, error rendering, the audit log."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, cast

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from gateway.auth import authenticate, keys_required, rate_limit
from gateway.caller import ANONYMOUS, Caller
from gateway.errors import domain_error_response, error_response
from maruntime.errors import DomainError
from maruntime.observability import bind_log_context, reset_log_context

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("maruntime.audit")

View = Callable[..., Awaitable[HttpResponseBase]]


class ApiView(Protocol):
    """A ``/v1`` view as ``api_view`` makes it: it answers only ``methods`` (the OpenAPI
    schema's test holds every route's methods to the schema). The view it wraps is called
    as ``view(request, caller, **route_kwargs)``."""

    methods: tuple[str, ...]

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


# An SSE comment: clients ignore it, proxies see the connection alive.
KEEPALIVE = b": keep-alive\n\n"


def api_view(*methods: str, public: bool = False) -> Callable[[View], ApiView]:
    """Allow only ``methods``; authenticate the caller (``gateway.auth``) and apply its
    requests-per-minute limit, unless the route is ``public`` (its caller is anonymous);
    call the view with the ``Caller``; turn domain errors, and any other exception, into
    OpenAI error envelopes."""

    def decorate(view: View) -> ApiView:
        @csrf_exempt
        @functools.wraps(view)
        async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                return error_response(
                    405,
                    f"Method {request.method} not allowed; use {', '.join(methods)}",
                    code="method_not_allowed",
                )
            caller, response = await _answer(view, request, public, *args, **kwargs)
            if keys_required():
                _audit(request, caller, response, kwargs.get("session_id"))
            return response

        # Django runs coroutine views natively; its type stubs only describe sync ones.
        api = cast(ApiView, wrapper)
        api.methods = methods
        return api

    return decorate


async def _answer(
    view: View, request: HttpRequest, public: bool, *args: Any, **kwargs: Any
) -> tuple[Caller, HttpResponseBase]:
    """The caller (anonymous until authenticated) and the view's answer, or the error
    envelope of what went wrong."""
    caller = ANONYMOUS
    try:
        if not public:
            caller = await authenticate(request)
            await rate_limit(caller)
        return caller, await view(request, caller, *args, **kwargs)
    except DomainError as error:
        return caller, domain_error_response(error)
    except Exception:
        # A bug, not the client's fault: logged with its traceback, answered in the
        # envelope (never Django's HTML page), with nothing internal in it.
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return caller, error_response(
            500,
            "The server had an error while processing your request",
            code="internal_error",
            error_type="server_error",
        )


def _audit(
    request: HttpRequest, caller: Caller, response: HttpResponseBase, session_id: str | None
) -> None:
    """One ``maruntime.audit`` log line per ``/v1`` request while keys are required: which
    key (its public prefix; empty when none was accepted), the route, the status and the
    session it concerned."""
    match = request.resolver_match
    token = bind_log_context(
        key_prefix=caller.key_prefix,
        method=request.method,
        route=f"/{match.route}" if match is not None else request.path,
        status=response.status_code,
        session_id=response.get("X-Session-Id") or session_id,
    )
    try:
        audit_logger.info("api key use")
    finally:
        reset_log_context(token)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    return JsonResponse(
        data, status=status, safe=False, headers=headers, json_dumps_params={"ensure_ascii": False}
    )


def sse(data: Any, *, event_id: int | None = None, event: str | None = None) -> bytes:
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    lines.append(f"data: {payload}")
    return ("\n".join(lines) + "\n\n").encode()


async def closing_on_error(
    stream: AsyncGenerator[bytes, None], *, what: str
) -> AsyncIterator[bytes]:
    """``stream``'s bytes; if it fails (a bug, the database away for too long), one error
    chunk in OpenAI's envelope and the end, so the client is never left waiting. The
    client can resume where it stopped (``Last-Event-ID``, or the session's id)."""
    async with contextlib.aclosing(stream):
        try:
            async for chunk in stream:
                yield chunk
        except Exception:
            logger.exception("%s failed; ending the stream with an error", what)
            yield sse(
                {
                    "error": {
                        "message": "The stream failed on the server; resume it to continue",
                        "type": "server_error",
                        "param": None,
                        "code": "stream_failed",
                    }
                }
            )
