"""What upstream endpoints accept (``UpstreamCapability``): negotiation records what it
learns here; an operator's pinned row is never changed."""

from __future__ import annotations

from django.db import transaction

from agents.models import UpstreamCapability


@transaction.atomic
def upstream_capability_learn(
    *, base_url: str, model: str, evidence: str, structured_output: str = "", tool_choice: str = ""
) -> UpstreamCapability:
    """Record the form this endpoint and model accept (non-blank arguments only), unless an
    operator pinned the row; holds a row lock while it decides."""
    capability, _ = UpstreamCapability.objects.select_for_update().get_or_create(
        base_url=base_url, model=model
    )
    if capability.pinned:
        return capability
    learned = {
        field: value
        for field, value in (("structured_output", structured_output), ("tool_choice", tool_choice))
        if value and getattr(capability, field) != value
    }
    if learned:
        for field, value in learned.items():
            setattr(capability, field, value)
        capability.evidence = evidence
        capability.save(update_fields=[*learned, "evidence", "updated_at"])
    return capability


@transaction.atomic
def upstream_capability_set(
    *, base_url: str, model: str, structured_output: str, tool_choice: str, pinned: bool
) -> UpstreamCapability:
    """An operator's word on what this endpoint and model accept (blank: negotiate);
    ``pinned`` keeps negotiation from changing it. Every process uses it within
    ``CAPABILITY_TTL_SECONDS``."""
    capability, _ = UpstreamCapability.objects.update_or_create(
        base_url=base_url,
        model=model,
        defaults={
            "structured_output": structured_output,
            "tool_choice": tool_choice,
            "pinned": pinned,
            "evidence": "set by an operator",
        },
    )
    return capability


def upstream_capability_forget(*, capability: UpstreamCapability) -> None:
    """Drop what is known of an endpoint and model: the next runs negotiate it afresh."""
    capability.delete()
