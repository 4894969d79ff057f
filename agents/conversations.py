"""What a stateless chat client sends besides its last message, and the transcript hash
that finds the session its conversation continues.

A chat UI resends the whole conversation every turn. Each run stores the hash of the
transcript as the client sent it when the run started (its user and assistant messages up
to the run's own user message), so the next request of that conversation — the same
messages, the run's reply, a new user message — is matched with one indexed look-up of the
hash of everything before that reply, not a scan of anyone's history.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

TRANSCRIPT_ROLES = frozenset({"user", "assistant"})
# Blocks front-ends add to an assistant message they show (Open WebUI's collapsed reasoning
# and tool activity, <think> tags of reasoning models): not part of what the agent said.
_DISPLAY_BLOCKS = re.compile(r"<(details|think)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Conversation:
    """A chat request's conversation: what came before its last user message."""

    # Earlier user and assistant messages as the client sent them ({"role", "content"}).
    history: list[dict[str, str]] = field(default_factory=list)
    # The client's system (and developer) messages: the user's instructions to the agent.
    instructions: str = ""
    # What the application said about the user and this request (the ``user_context``
    # body field): None when it sent none, which keeps a session's earlier context.
    user_context: dict[str, Any] | None = None
    # The front-end's own name for the conversation (a header such as Open WebUI's chat
    # id), "" when it sent none.
    key: str = ""


@dataclass(frozen=True)
class ToolResult:
    """The client's result of a call to one of its own tools, which its session awaits."""

    session_id: uuid.UUID
    step: int
    content: str


def comparable_text(text: str) -> str:
    """A message's text as compared across turns: display blocks removed, whitespace
    collapsed (front-ends trim and re-wrap what they show)."""
    return " ".join(_DISPLAY_BLOCKS.sub(" ", text).split())


def transcript_hash(messages: list[dict[str, Any]]) -> str:
    """The hash of the user and assistant messages of ``messages``, in order (other roles
    are skipped). The empty transcript hashes to ""."""
    digest = hashlib.sha256()
    empty = True
    for message in messages:
        if message.get("role") not in TRANSCRIPT_ROLES:
            continue
        empty = False
        digest.update(message["role"].encode())
        digest.update(b"\x00")
        digest.update(comparable_text(str(message.get("content") or "")).encode())
        digest.update(b"\x01")
    return "" if empty else digest.hexdigest()
