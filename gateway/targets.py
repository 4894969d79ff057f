"""What a request's ``model`` names, resolved once per request: the caller's session, a
template or pipeline (``agents.targets``), the upstream (passthrough), or nothing.

``resolve_model`` is the only place that decides; the views act on its answer and pass
the target down to ``agents.services.chat_turn``. A name that names nothing is not refused
here but where the refusal belongs (after the body is validated and the key's scope
checked, as a template that does not exist always was): ``Unresolved`` carries the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from agents.exceptions import InvalidMessage, SessionNotFound
from agents.selectors import chat_target, is_session_id, session_target
from agents.targets import AgentTarget, ChatTarget, SessionTarget
from catalog.exceptions import CatalogNotFound
from gateway.caller import Caller
from gateway.continuation import continued_session
from gateway.requests import ChatRequest
from maruntime.errors import DomainError


@dataclass(frozen=True)
class Passthrough:
    """A model the catalog does not know, forwarded to the upstream unchanged (with
    ``GATEWAY_PASSTHROUGH`` on)."""

    model: str


@dataclass(frozen=True)
class Unresolved:
    """A name that names nothing the caller may reach: ``error`` (404) is its refusal."""

    model: str
    error: DomainError


Resolution = AgentTarget | SessionTarget | Passthrough | Unresolved


def resolve_model(model: Any, *, caller: Caller) -> Resolution | None:
    """What ``model`` names for ``caller`` (sync: ORM); None when it is not a non-empty
    string (the body's validation refuses that). A session id is never passed through;
    another tenant's session is ``Unresolved`` exactly like a missing one."""
    if not isinstance(model, str) or not model.strip():
        return None
    try:
        return chat_target(model=model, owner=caller.owner)
    except SessionNotFound as error:
        return Unresolved(model, error)
    except CatalogNotFound as error:
        if settings.GATEWAY_PASSTHROUGH:
            return Passthrough(model)
        return Unresolved(model, error)


def require_model_scope(caller: Caller, resolution: Resolution | None, model: str) -> None:
    """Before a run is queued for ``model``: the key's model scope admits the agent (a
    session's own template or pipeline), else ``ModelNotAllowed`` (403). An id that names
    none of the caller's sessions is not checked: it is refused as missing. (The key's
    daily token budget admits the run where it is queued: ``agents.services.budgets``.)"""
    if isinstance(resolution, SessionTarget):
        caller.require_model(resolution.agent)
    elif not is_session_id(model):
        caller.require_model(model)


def turn_target(resolution: Resolution | None, chat: ChatRequest, *, caller: Caller) -> ChatTarget:
    """The target of a chat turn (sync: ORM): the session the client's tool result answers;
    else the session ``model`` names; else the session the resent conversation continues;
    else the template or pipeline ``model`` names. Raises what an ``Unresolved`` name
    carries (404), and ``InvalidMessage`` (400) for ``approve`` without a session id."""
    if chat.approve is not None and not is_session_id(chat.model):
        raise InvalidMessage(
            "approve answers a session's pending approval: model must be the session id",
            param="approve",
        )
    if chat.tool_result is not None:
        return session_target(
            session_id=chat.tool_result.session_id, owner=caller.owner, model=chat.model
        )
    if isinstance(resolution, SessionTarget):
        return resolution
    assert isinstance(resolution, AgentTarget | Unresolved), "chat requests are parsed"
    if not is_session_id(chat.model):
        # Also for a name that no longer resolves (its template deactivated since): the
        # conversation goes on with the version its session pinned.
        continues = continued_session(chat, owner=caller.owner)
        if continues is not None:
            return session_target(session_id=continues, owner=caller.owner, model=chat.model)
    if isinstance(resolution, Unresolved):
        raise resolution.error
    return resolution
