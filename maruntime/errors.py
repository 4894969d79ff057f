"""The one base class of domain errors.

Apps raise subclasses with a stable ``code`` and the HTTP status the edges should answer
with; the gateway renders them in OpenAI's error envelope, the admin API in DRF's format.
Domain errors never import anything HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "internal_error"
    http_status = 500
    error_type = "server_error"

    def __init__(
        self, message: str, *, param: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after = retry_after


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    error_type = "invalid_request_error"


class InvalidInput(DomainError):
    code = "invalid_value"
    http_status = 400
    error_type = "invalid_request_error"


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    error_type = "invalid_request_error"


class RateLimited(DomainError):
    """A limit of the caller's (requests, runs, tokens); answered with ``Retry-After``."""

    code = "rate_limit_exceeded"
    http_status = 429
    error_type = "requests"


class Unavailable(DomainError):
    code = "service_unavailable"
    http_status = 503
    error_type = "server_error"
