"""Agents domain errors."""

from maruntime.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    RateLimited,
    Unavailable,
)


class SessionNotFound(NotFound):
    code = "session_not_found"


class SessionBusy(Conflict):
    code = "session_busy"


class SessionNotResumable(Conflict):
    code = "session_not_resumable"


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"


class ToolResultNotPending(Conflict):
    """A tool result for a call the session does not wait for (any more)."""

    code = "tool_result_not_pending"


class ApprovalPending(Conflict):
    """A plain message on a session whose pending call awaits a yes or no."""

    code = "approval_pending"


class ToolNotAllowed(DomainError):
    """The caller's tool scope keeps out a tool the agent cannot work without."""

    code = "tool_not_allowed"
    http_status = 403
    error_type = "invalid_request_error"


class RunLimitReached(RateLimited):
    """The owner already has as many active runs as its key allows."""

    # A busy owner's runs take seconds to minutes; clients look again soon.
    RETRY_AFTER_SECONDS = 5


class TokenBudgetExhausted(RateLimited):
    """A call's token reservation does not fit in the owner's daily budget (429 with
    ``Retry-After`` until the budget's day ends)."""

    code = "token_budget_exceeded"
    error_type = "tokens"


class InvalidMessage(InvalidInput):
    code = "invalid_message"


class UpstreamNotConfigured(Unavailable):
    code = "upstream_not_configured"


class UpstreamFailed(DomainError):
    """The upstream LLM kept failing after bounded retries."""

    code = "upstream_error"
    http_status = 502


class UpstreamRejected(UpstreamFailed):
    """The upstream refused the request as invalid for it: repeating it unchanged cannot
    succeed (a mode or form it does not accept, a malformed message)."""

    code = "upstream_rejected"

    def __init__(self, message: str, *, status: int, upstream_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.upstream_message = upstream_message


class StructuredOutputInvalid(DomainError):
    """The upstream kept returning output that does not match the step schema."""

    code = "invalid_structured_output"
    http_status = 502


class AgentGaveUp(DomainError):
    """The agent ended the task itself as failed (its final answer's status): a 422 with the
    agent's words, so a client never takes them for an answer."""

    code = "agent_gave_up"
    http_status = 422


class ToolFailed(DomainError):
    code = "tool_failed"
    http_status = 500


class MemoryRefused(InvalidInput):
    """A memory or file tool's request the store refuses: a path that leaves it, a file
    over the size limits, a missing file. The message is for the model."""

    code = "memory_refused"
