"""The conversation state the engine continues from (``Session.context``)."""

from __future__ import annotations

from typing import Any

from agents.engine.prompts import render_prompt
from agents.models import Session


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
    }


def absorb_user_message(session: Session, message: str) -> None:
    """Put a user message into the conversation the engine will continue."""
    context = session.context
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
