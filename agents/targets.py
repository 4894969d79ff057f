"""What a chat request's ``model`` names, once resolved at the edge: a new session of a
template or pipeline (``AgentTarget``) or a session of the caller (``SessionTarget``).

The gateway resolves ``model`` once per request (``gateway.targets``, with
``agents.selectors.chat_target``) and passes the target down; ``chat_turn`` acts on it and
never looks at the name again. Types only: both the selectors that build targets and the
services that act on them import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.models import Session
    from catalog.models import AgentTemplateVersion, PipelineVersion


@dataclass(frozen=True)
class AgentTarget:
    """A template or a pipeline: the turn starts a new session of it.

    ``versions`` are the template versions the session runs, in order (one for a template,
    a pipeline's steps); never empty."""

    model: str  # as the client named it: ``name`` or ``name@version``
    versions: tuple[AgentTemplateVersion, ...]
    pipeline_version: PipelineVersion | None = None

    @property
    def agent(self) -> str:
        """The template's or pipeline's name: what a key's model scope lists."""
        return self.model.partition("@")[0]


@dataclass(frozen=True)
class SessionTarget:
    """A session of the caller: the turn continues it.

    ``named``: the client named the session (``model`` is its id), rather than the session
    being found from the conversation the client resent or the client tool call it answers.
    """

    session: Session
    model: str  # as the client named it: the session id, or the agent's name
    named: bool

    @property
    def agent(self) -> str:
        """The session's pipeline's or template's name: what a key's model scope lists."""
        if self.session.pipeline_version is not None:
            return self.session.pipeline_version.pipeline.name
        return self.session.template_version.template.name


ChatTarget = AgentTarget | SessionTarget
