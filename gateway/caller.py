"""Who is calling ``/v1``: the ``Caller`` a request is authenticated into once
(``gateway.auth.authenticate``) and that every view receives as an argument.

A caller is immutable and complete: its key's public prefix, the owner its sessions belong
to, its model and tool scopes and its limits. Nothing about the caller is read from the
request after authentication.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.policies import ToolScope
from maruntime.errors import DomainError


class ModelNotAllowed(DomainError):
    code = "model_not_allowed"
    http_status = 403
    error_type = "invalid_request_error"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller, or the anonymous one (``GATEWAY_AUTH=off``: every field
    at its default, which allows everything and limits nothing).

    ``owner`` is the opaque id its sessions are scoped to ('' for the anonymous caller, who
    sees every session). ``templates`` is its key's model scope (empty: any model);
    ``tool_scope`` its key's limits on tools (None: none). ``requests_per_minute``,
    ``concurrent_runs`` and ``tokens_per_day`` are its key's limits (0: none). An admin
    key reads every session (``reading_owner``) but starts, continues and cancels sessions
    as its own ``owner``."""

    key_prefix: str = ""
    owner: str = ""
    is_admin: bool = False
    templates: frozenset[str] = field(default_factory=frozenset)
    tool_scope: ToolScope | None = None
    requests_per_minute: int = 0
    concurrent_runs: int = 0
    tokens_per_day: int = 0

    @property
    def reading_owner(self) -> str:
        """The owner whose sessions a read (GET) may reach: '' (every one) for an admin key."""
        return "" if self.is_admin else self.owner

    @property
    def allowed_templates(self) -> list[str] | None:
        """The templates the caller's key is scoped to; None means every template."""
        return sorted(self.templates) if self.templates else None

    def may_use(self, model: str) -> bool:
        """Whether the key's model scope admits ``model`` (``name`` or ``name@version``)."""
        return not self.templates or model.partition("@")[0] in self.templates

    def require_model(self, model: str) -> None:
        """Refuse (403) a model the key's scope leaves out."""
        if not self.may_use(model):
            raise ModelNotAllowed(f"This API key may not use the model '{model}'", param="model")

    def require_unmetered(self, model: str) -> None:
        """For calls no session meters (passthrough, housekeeping): ``model`` must be in
        the key's scope, and a key with a daily token budget may not make them, since the
        budget could not count them."""
        self.require_model(model)
        if self.tokens_per_day:
            raise ModelNotAllowed(
                f"This key has a daily token budget, which meters agent sessions only; the "
                f"passthrough model '{model}' is not metered, so this key may not use it",
                param="model",
            )


ANONYMOUS = Caller()
