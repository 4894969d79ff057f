"""Where a template's LLM calls go: its endpoint, key and model (``Upstream``), resolved
from its LLM policy and the environment. Below the engine and the services: the engine
calls the upstream, the services refuse a turn before anything is written when there is
none (``UpstreamNotConfigured``, 503), and the gateway forwards passthrough to it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings

from agents.exceptions import UpstreamNotConfigured
from catalog.policies import LLMPolicy


@dataclass(frozen=True)
class Upstream:
    base_url: str
    api_key: str
    model: str

    def __str__(self) -> str:
        return f"{self.base_url} (model {self.model})"


def resolve_upstream(policy: LLMPolicy) -> Upstream:
    """The template's endpoint, else ``OPENAI_BASE_URL``; raises when neither is set."""
    base_url = policy.base_url or settings.OPENAI_BASE_URL
    if not base_url:
        raise UpstreamNotConfigured(
            "No upstream LLM is configured: set OPENAI_BASE_URL (and OPENAI_API_KEY, "
            "OPENAI_MODEL) to any OpenAI-compatible endpoint, or give the template an LLM "
            "policy with base_url."
        )
    api_key = (
        os.environ.get(policy.api_key_ref, "") if policy.api_key_ref else settings.OPENAI_API_KEY
    )
    return Upstream(
        base_url=base_url,
        api_key=api_key or "not-needed",
        model=policy.model or settings.OPENAI_MODEL,
    )
