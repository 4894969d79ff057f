"""Housekeeping requests: what chat front-ends ask "the model" besides the conversation —
a chat title, tags, follow-up suggestions, search queries, an autocompletion, an emoji.

They are recognised by the front-ends' own prompts (their defaults, as shipped) and sent
to the agent's upstream model as a plain completion: no session, no agent run. See
docs/api.md ("Housekeeping requests") for the front-ends' recommended settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponseBase

from agents.targets import AgentTarget
from agents.upstream import resolve_upstream
from catalog.policies import LLMPolicy
from gateway.passthrough import forward_chat
from maruntime.observability import HOUSEKEEPING_REQUESTS

INSTRUCTION_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True)
class Housekeeping:
    front_end: str
    task: str
    matches: Callable[[str], bool]


def _contains(*needles: str) -> Callable[[str], bool]:
    lowered = [needle.lower() for needle in needles]
    return lambda text: all(needle in text.lower() for needle in lowered)


# Open WebUI's task templates (title, tags, follow-ups, search and retrieval queries,
# image prompt, autocomplete) all start "### Task:" and quote the chat in <chat_history>.
_OPEN_WEBUI_TASK = re.compile(r"^\s*### Task:.*<chat_history>", re.DOTALL)

KINDS = (
    Housekeeping("open-webui", "task", lambda text: bool(_OPEN_WEBUI_TASK.match(text))),
    Housekeeping(
        "open-webui",
        "emoji",
        _contains("reflect the speaker's likely facial expression through a fitting emoji"),
    ),
    Housekeeping("librechat", "title", _contains("5-word-or-less title for the conversation")),
    Housekeeping(
        "librechat",
        "title",
        _contains("analyze this conversation and provide", "concise title in the detected"),
    ),
    Housekeeping(
        "librechat", "title", _contains("generate a concise title (max 40 characters) for a")
    ),
    Housekeeping("lobechat", "title", _contains("you are a professional conversation summarizer")),
    Housekeeping(
        "lobechat",
        "history summary",
        _contains("good at extracting key takeaways from conversations"),
    ),
)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def recognise(messages: Any) -> Housekeeping | None:
    """The housekeeping request ``messages`` are, judged by their system messages and
    their last message (where the front-ends put their prompts), or None."""
    if not isinstance(messages, list) or not messages:
        return None
    texts = [
        _text(message.get("content"))
        for index, message in enumerate(messages)
        if isinstance(message, dict)
        # A role that is not a string is refused later (gateway.requests), not here.
        and (
            (isinstance(message.get("role"), str) and message["role"] in INSTRUCTION_ROLES)
            or index == len(messages) - 1
        )
    ]
    for kind in KINDS:
        if any(kind.matches(text) for text in texts):
            return kind
    return None


# maruntime's own request fields, which the upstream would not know.
_OWN_FIELDS = ("stream_format", "on_busy", "cancel_on_disconnect", "approve", "user_context")


async def housekeeping_chat(
    body: dict[str, Any], kind: Housekeeping, target: AgentTarget
) -> HttpResponseBase:
    """Answer the request with the upstream model of the agent ``target`` names (a
    pipeline's: its first step's), as a plain completion (streamed or not, as asked); its
    answer comes back as the upstream sent it."""
    upstream = resolve_upstream(LLMPolicy.model_validate(target.versions[0].llm_policy))
    forwarded = {k: v for k, v in body.items() if k not in _OWN_FIELDS}
    forwarded["model"] = upstream.model
    HOUSEKEEPING_REQUESTS.labels(kind.front_end, kind.task).inc()
    return await forward_chat(json.dumps(forwarded).encode(), upstream)
