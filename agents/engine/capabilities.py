"""Which structured-output mode and ``tool_choice`` form to use with an upstream endpoint and
model (DESIGN §3 "Upstream capabilities").

The facts live in ``UpstreamCapability`` rows, so every process agrees and an operator can
see and change them; each process reads a row at most every ``CAPABILITY_TTL_SECONDS``.
An explicit mode (the template's ``llm_policy.structured_output``, else the
``LLM_STRUCTURED_OUTPUT`` env) always wins; a pinned row is used as it is; otherwise the
engine starts from the best form not known to fail and moves down the order when the
upstream deterministically rejects it, recording the form that then works.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings

from agents import services
from agents.models import UpstreamCapability
from agents.upstream import Upstream
from maruntime.asyncdb import run_sync

# Best first: each later form asks less of the server.
STRUCTURED_MODES: tuple[str, ...] = tuple(UpstreamCapability.StructuredOutput.values)
TOOL_CHOICES: tuple[str, ...] = tuple(UpstreamCapability.ToolChoice.values)
CAPABILITY_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class Capability:
    """What is known of one endpoint and model; blank: not known yet."""

    structured_output: str = ""
    tool_choice: str = ""
    pinned: bool = False


@dataclass(frozen=True)
class Forms:
    """The forms to try, in order, and whether the one that works should be recorded.
    ``source``: the setting that fixed the form, "" when it is negotiated."""

    candidates: tuple[str, ...]
    learning: bool
    known: str
    source: str = ""


_known: dict[tuple[str, str], tuple[float, Capability]] = {}


def _read(base_url: str, model: str) -> Capability:
    row = UpstreamCapability.objects.filter(base_url=base_url, model=model).first()
    if row is None:
        return Capability()
    return Capability(row.structured_output, row.tool_choice, row.pinned)


async def capability_of(upstream: Upstream) -> Capability:
    key = (upstream.base_url, upstream.model)
    cached = _known.get(key)
    if cached is None or time.monotonic() - cached[0] > CAPABILITY_TTL_SECONDS:
        cached = _known[key] = (time.monotonic(), await run_sync(_read)(*key))
    return cached[1]


async def capability_learn(
    upstream: Upstream, *, evidence: str, structured_output: str = "", tool_choice: str = ""
) -> None:
    """Record a form the upstream accepted (an operator's pinned row stays as it is)."""
    row = await run_sync(services.upstream_capability_learn)(
        base_url=upstream.base_url,
        model=upstream.model,
        evidence=evidence,
        structured_output=structured_output,
        tool_choice=tool_choice,
    )
    _known[(upstream.base_url, upstream.model)] = (
        time.monotonic(),
        Capability(row.structured_output, row.tool_choice, row.pinned),
    )


def _forms(order: tuple[str, ...], known: str, pinned: bool) -> Forms:
    if pinned and known:
        source = f"the pinned upstream capability ({known})"
        return Forms((known,), learning=False, known=known, source=source)
    return Forms(order[order.index(known) if known else 0 :], learning=True, known=known)


async def structured_output_forms(upstream: Upstream, policy_mode: str) -> Forms:
    """Structured-output modes to try with ``upstream``: ``policy_mode`` unless ``auto``,
    else ``LLM_STRUCTURED_OUTPUT`` unless empty or ``auto``, else negotiated."""
    if policy_mode != "auto":
        return Forms((policy_mode,), False, policy_mode, source="llm_policy.structured_output")
    if settings.LLM_STRUCTURED_OUTPUT not in ("", "auto"):
        mode = settings.LLM_STRUCTURED_OUTPUT
        return Forms((mode,), learning=False, known=mode, source="LLM_STRUCTURED_OUTPUT")
    known = await capability_of(upstream)
    return _forms(STRUCTURED_MODES, known.structured_output, known.pinned)


async def tool_choice_forms(upstream: Upstream) -> Forms:
    """``tool_choice`` forms to try with ``upstream`` (negotiated; an operator pins one)."""
    known = await capability_of(upstream)
    return _forms(TOOL_CHOICES, known.tool_choice, known.pinned)
