"""The conversation state the engine continues from (``Session.context``)."""

from __future__ import annotations

from typing import Any

from agents.models import Session, SessionEvent
from agents.prompts import render_prompt
from agents.services.events import NewEvent


def new_context() -> dict[str, Any]:
    return {
        "messages": [],
        "iteration": 0,
        "searches_used": 0,
        "clarifications_used": 0,
        "tool_calls": 0,
        "stage": "",
        "plan": None,
        "sources": [],
        "pending_call": None,
        # The client's system message: the user's instructions, below the template's prompt.
        "instructions": "",
        # What the application said about the user and the request (``user_context``):
        # facts the system prompt gives the agent, kept until a request replaces them.
        "user_context": {},
        # The JSON Schema the final answer must follow (the client's response_format).
        "answer_schema": None,
        # The client's own tools (OpenAI function definitions) the agent may call.
        "client_tools": [],
    }


def declined_call_content(reason: str) -> str:
    """What the model reads as the result of a call a person did not approve."""
    because = f" They said: {reason}" if reason else ""
    return (
        "Not run: the user did not approve this call." + because + " Do not repeat it; "
        "continue without it or ask the user."
    )


def absorb_user_message(
    session: Session,
    message: str,
    *,
    instructions: str = "",
    user_context: dict[str, Any] | None = None,
    answer_schema: dict[str, Any] | None = None,
    client_tools: list[dict[str, Any]] | None = None,
) -> list[NewEvent]:
    """Put a user message into the conversation the engine will continue (``instructions``
    and ``user_context``, when given, replace the user's instructions and the user context
    — ``{}`` clears it; ``answer_schema`` shapes this turn's
    answer; ``client_tools`` are the client's tools for this turn). A call waiting for
    approval is declined by it (the model reads why); returns the events that record
    that, for the caller to append. A call waiting for the client's result is answered
    with the fact that none came."""
    context = session.context
    if instructions:
        context["instructions"] = instructions
    if user_context is not None:
        context["user_context"] = user_context
    context["answer_schema"] = answer_schema
    context["client_tools"] = client_tools or []
    events = []
    pending = context.get("pending_call")
    if session.state == Session.State.WAITING_FOR_TOOL_RESULT and pending:
        context["messages"].append(
            {
                "role": "tool",
                "tool_call_id": pending["call_id"],
                "content": "No result: the user wrote a new message instead.",
            }
        )
    if session.state == Session.State.WAITING_FOR_APPROVAL and pending:
        context["messages"].append(
            {
                "role": "tool",
                "tool_call_id": pending["call_id"],
                "content": declined_call_content("(a new message instead of an approval)"),
            }
        )
        events.append(
            NewEvent(
                SessionEvent.Type.APPROVAL,
                {"call_id": pending["call_id"], "tool": pending["tool"], "approved": False},
                int(pending["step"]),
            )
        )
    if session.state == Session.State.WAITING_FOR_CLARIFICATION:
        prompt = session.template_version.clarification_prompt or "{clarifications}"
        content = render_prompt(prompt, clarifications=message)
    else:
        content = message
    context["messages"].append({"role": "user", "content": content})
    context["pending_call"] = None
    session.context = context
    session.state = Session.State.RUNNING
    session.save(update_fields=["context", "state", "updated_at"])
    return events
