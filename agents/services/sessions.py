"""Sessions: starting one, a new message on one, cancelling, delegated children, and the
chat turn the gateway asks for."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agents.conversations import Conversation, ToolResult
from agents.exceptions import (
    ApprovalNotPending,
    ApprovalPending,
    InvalidMessage,
    RunLimitReached,
    SessionBusy,
    SessionNotFound,
    SessionNotResumable,
    ToolNotAllowed,
    ToolResultNotPending,
)
from agents.models import Artifact, Run, Session, SessionEvent
from agents.prompts import render_prompt
from agents.services.budgets import token_admit, token_estimate, token_hold
from agents.services.context import absorb_user_message, new_context
from agents.services.events import NewEvent, append_events, insert_events
from agents.services.runs import close_run_as_cancelled, lock_owned_run, queue_run
from agents.targets import ChatTarget, SessionTarget
from agents.upstream import resolve_upstream
from catalog.policies import ExecutionPolicy, LLMPolicy, ToolPolicy, ToolScope
from catalog.selectors import active_tool_versions, template_versions
from maruntime.observability import TOOL_APPROVALS

if TYPE_CHECKING:
    from catalog.models import AgentTemplateVersion, PipelineVersion


def _locked_session(session_id: uuid.UUID | str, owner: str) -> Session:
    """The session, row-locked, if the caller may see it (an owner sees only its own)."""
    try:
        session = Session.objects.select_for_update().get(pk=session_id)
    except (Session.DoesNotExist, ValueError, ValidationError, IntegrityError) as exc:
        # ValidationError: an id that is not a UUID at all (found by the schemathesis run).
        raise SessionNotFound(f"No session '{session_id}'", param="model") from exc
    if owner and session.owner and session.owner != owner:
        raise SessionNotFound(f"No session '{session_id}'", param="model")
    return session


def _session_template_versions(session: Session) -> list[AgentTemplateVersion]:
    """The template versions a session runs: its pipeline plan's, else its own."""
    if session.pipeline_plan:
        return template_versions(ids=session.pipeline_plan)
    return [session.template_version]


def _hold_run_slot(owner: str, limit: int, session_id: uuid.UUID | None = None) -> None:
    """Refuse (429) a run that would give ``owner`` more than ``limit`` sessions with an
    active run (0: no limit). Holds a per-owner transaction lock until the caller's
    transaction commits, so concurrent requests are counted one after another."""
    if not limit:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [owner])
    sessions = Session.objects.filter(owner=owner, runs__state__in=Run.ACTIVE_STATES)
    if session_id is not None:
        sessions = sessions.exclude(pk=session_id)
    active = sessions.values("pk").distinct().count()
    if active >= limit:
        raise RunLimitReached(
            f"Concurrent run limit reached: {active} of {limit} runs are active. Wait for "
            "one to finish or cancel one.",
            retry_after=RunLimitReached.RETRY_AFTER_SECONDS,
        )


def _check_tool_scope(scope: ToolScope, versions: list[AgentTemplateVersion]) -> None:
    """Refuse (403) before anything is written when ``scope`` keeps out a tool one of the
    agents requires: such a run could never finish."""
    if scope.unrestricted:
        return
    required = {
        name
        for version in versions
        for name in ToolPolicy.model_validate(version.tool_policy).required
    }
    for tool in active_tool_versions(names=sorted(required)).order_by("tool__name"):
        why = scope.refusal(tool.tool.name, tool.risk_level)
        if why is not None:
            raise ToolNotAllowed(
                f"The agent requires the tool '{tool.tool.name}', which is {why}; use a key "
                "whose tool scope includes it",
                param="model",
            )


def _first_step_tokens(version: AgentTemplateVersion, prompt_chars: int) -> int:
    """What a run's first step may use at most, for its admission: the template's per-call
    ``max_tokens`` (the hybrid flavour makes two calls a step) plus a prompt of
    ``prompt_chars`` characters and the template's system prompt."""
    return token_estimate(
        prompt_chars=len(version.system_prompt) + prompt_chars,
        max_tokens=LLMPolicy.model_validate(version.llm_policy).max_tokens,
        calls=2 if version.flavour == "sgr_tool_calling" else 1,
    )


def _admit_continuation(session: Session, owner: str, tokens_per_day: int, text: str) -> int:
    """Admit a new turn of ``session`` (``text``: what the client adds) against the daily
    budget ``tokens_per_day`` of the key that asks: the tokens to hold on its run, 0
    without a budget; ``TokenBudgetExhausted`` (429) when they do not fit. The budget row
    stays locked until the caller's transaction ends (``token_admit``)."""
    if not tokens_per_day:
        return 0
    tokens = _first_step_tokens(
        session.template_version,
        len(json.dumps(session.context, ensure_ascii=False)) + len(text),
    )
    token_admit(owner=owner, tokens_per_day=tokens_per_day, tokens=tokens)
    return tokens


@transaction.atomic
def session_start(
    *,
    template_version: AgentTemplateVersion,
    task: str,
    owner: str = "",
    pipeline_version: PipelineVersion | None = None,
    pipeline_plan: list[int] | None = None,
    parent: Session | None = None,
    tool_scope: ToolScope | None = None,
    max_active_runs: int = 0,
    conversation: Conversation | None = None,
    transcript_hash: str = "",
    answer_schema: dict[str, Any] | None = None,
    client_tools: list[dict[str, Any]] | None = None,
) -> tuple[Session, Run]:
    """Create the session with its first user message and a queued run, atomically. A
    child session inherits its parent's tool scope. ``max_active_runs``: the owner's
    limit on sessions with an active run (0: none; delegated children are not counted
    against it, their parent already is). ``conversation``: what a chat client sent before
    ``task`` — its earlier messages are the history the agent sees, its system message the
    user's instructions. ``answer_schema``: the JSON Schema the final answer follows;
    ``client_tools``: the client's tools the agent may call."""
    _hold_run_slot(owner, max_active_runs)
    conversation = conversation or Conversation()
    context = new_context()
    context["messages"] = [
        *conversation.history,
        {
            "role": "user",
            "content": render_prompt(template_version.initial_user_prompt or "{task}", task=task),
        },
    ]
    context["instructions"] = conversation.instructions
    context["user_context"] = conversation.user_context or {}
    context["answer_schema"] = answer_schema
    context["client_tools"] = client_tools or []
    message: dict[str, object] = {"content": task}
    if conversation.history:
        message["history"] = conversation.history
    if conversation.instructions:
        message["instructions"] = conversation.instructions
    if conversation.user_context:
        message["user_context"] = conversation.user_context
    events = [
        NewEvent(SessionEvent.Type.USER_MESSAGE, message),
        NewEvent(SessionEvent.Type.STATE, {"state": Session.State.INITED}),
    ]
    # The new session's seq counter starts at its first events: no update afterwards.
    session = Session.objects.create(
        template_version=template_version,
        pipeline_version=pipeline_version,
        pipeline_plan=pipeline_plan or [],
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
        owner=owner,
        tool_scope=(
            parent.tool_scope
            if parent is not None
            else tool_scope.model_dump()
            if tool_scope and not tool_scope.unrestricted
            else {}
        ),
        task=task,
        context=context,
        conversation_key=conversation.key,
        last_seq=len(events),
    )
    run = queue_run(session, message=task, transcript_hash=transcript_hash)
    insert_events(session, run, events, after=0)
    return session, run


@transaction.atomic
def session_message(
    *,
    session_id: uuid.UUID | str,
    message: str,
    owner: str = "",
    on_busy: str = "reject",
    tool_scope: ToolScope | None = None,
    max_active_runs: int = 0,
    instructions: str = "",
    user_context: dict[str, Any] | None = None,
    transcript_hash: str = "",
    answer_schema: dict[str, Any] | None = None,
    client_tools: list[dict[str, Any]] | None = None,
) -> tuple[Session, Run]:
    """A new user message on an existing session: the answer to a clarification, or a
    follow-up. Holds the session row lock. Busy sessions refuse (409) or enqueue. The
    session's tool scope is narrowed by the caller's. ``instructions`` (the client's
    system message) and ``user_context``, when given, replace the user's instructions
    and the user context from here on;
    ``answer_schema`` shapes this turn's final answer, ``client_tools`` are its tools."""
    session = _locked_session(session_id, owner)
    if tool_scope is not None and not tool_scope.unrestricted:
        narrowed = ToolScope.model_validate(session.tool_scope).narrowed(tool_scope)
        _check_tool_scope(narrowed, _session_template_versions(session))
        session.tool_scope = narrowed.model_dump()
        session.save(update_fields=["tool_scope", "updated_at"])
    active = session.runs.filter(state__in=Run.ACTIVE_STATES).exists()
    if active and on_busy != "enqueue":
        raise SessionBusy(
            f"Session '{session_id}' is already running; wait for it, cancel it, or send "
            "with on_busy='enqueue'",
            param="model",
        )
    if session.state == Session.State.CANCELLED and not active:
        raise SessionNotResumable(f"Session '{session_id}' was cancelled", param="model")
    if session.state == Session.State.WAITING_FOR_APPROVAL and not active:
        tool = session.context["pending_call"]["tool"]
        raise ApprovalPending(
            f"Session '{session_id}' waits for approval of a call to '{tool}': send "
            '"approve": true or false with your message, or POST '
            f"/v1/sessions/{session_id}/approval",
            param="approve",
        )
    events = []
    if active:
        run = Run.objects.create(
            session=session,
            state=Run.State.PENDING,
            user_message=message,
            transcript_hash=transcript_hash,
        )
    else:
        _hold_run_slot(session.owner, max_active_runs, session.pk)
        run = queue_run(session, message=message, transcript_hash=transcript_hash)
        events = absorb_user_message(
            session,
            message,
            instructions=instructions,
            user_context=user_context,
            answer_schema=answer_schema,
            client_tools=client_tools,
        )
    payload: dict[str, object] = {"content": message}
    if user_context is not None:
        payload["user_context"] = user_context
    events.append(NewEvent(SessionEvent.Type.USER_MESSAGE, payload))
    append_events(session, run, events)
    return session, run


@transaction.atomic
def session_approve(
    *,
    session_id: uuid.UUID | str,
    approved: bool,
    reason: str = "",
    owner: str = "",
    approver: str = "",
    tool_scope: ToolScope | None = None,
    max_active_runs: int = 0,
    tokens_per_day: int = 0,
) -> tuple[Session, Run]:
    """A person's answer to the pending call of a session waiting for approval: recorded,
    and a run queued that executes the call (approved) or tells the model it was declined
    (``tokens_per_day``: the daily token budget of the key that asks, which must admit the
    run's first step, ``agents.services.budgets``).
    A caller whose tool scope keeps the tool out cannot approve it (403); anything but a
    waiting session answers 409. Refusals write nothing."""
    session = _locked_session(session_id, owner)
    admitted = _admit_continuation(session, owner, tokens_per_day, reason)
    pending = session.context.get("pending_call")
    if session.state != Session.State.WAITING_FOR_APPROVAL or not pending:
        raise ApprovalNotPending(
            f"Session '{session_id}' is not waiting for an approval (it is {session.state})"
        )
    if tool_scope is not None and not tool_scope.unrestricted and approved:
        tool = active_tool_versions(names=[pending["tool"]]).first()
        why = tool_scope.refusal(pending["tool"], tool.risk_level if tool else "critical")
        if why is not None:
            raise ToolNotAllowed(
                f"This key may not approve '{pending['tool']}': the tool is {why}",
                param="approve",
            )
    _hold_run_slot(session.owner, max_active_runs, session.pk)
    pending["approval"] = {"approved": approved, "reason": reason, "approver": approver}
    session.state = Session.State.RUNNING
    session.save(update_fields=["context", "state", "updated_at"])
    run = queue_run(session, message="")
    payload = {"call_id": pending["call_id"], "tool": pending["tool"], **pending["approval"]}
    answer = "approved" if approved else "declined"
    transaction.on_commit(lambda: TOOL_APPROVALS.labels(pending["tool"], answer).inc())
    append_events(
        session,
        run,
        [NewEvent(SessionEvent.Type.APPROVAL, payload, int(pending["step"]))],
    )
    if tokens_per_day:
        token_hold(run=run, tokens_per_day=tokens_per_day, tokens=admitted)
    return session, run


@transaction.atomic
def session_tool_result(
    *,
    result: ToolResult,
    owner: str = "",
    max_active_runs: int = 0,
    transcript_hash: str = "",
    client_tools: list[dict[str, Any]] | None = None,
) -> tuple[Session, Run]:
    """The client's result of the call to its tool that the session waits for: kept on the
    pending call, and a run queued that goes on with it (``client_tools``: the tools the
    client offers from here on). Anything but that waiting call answers 409, writing
    nothing. Holds the session row lock."""
    session = _locked_session(result.session_id, owner)
    pending = session.context.get("pending_call")
    if (
        session.state != Session.State.WAITING_FOR_TOOL_RESULT
        or not pending
        or int(pending["step"]) != result.step
    ):
        raise ToolResultNotPending(
            f"Session '{session.pk}' is not waiting for the result of this tool call (it is "
            f"{session.state})",
            param="messages",
        )
    _hold_run_slot(session.owner, max_active_runs, session.pk)
    pending["client_result"] = result.content
    session.context["client_tools"] = client_tools or []
    session.state = Session.State.RUNNING
    session.save(update_fields=["context", "state", "updated_at"])
    run = queue_run(session, message="", transcript_hash=transcript_hash)
    return session, run


@transaction.atomic
def session_cancel(*, session_id: uuid.UUID | str, owner: str = "") -> Session:
    """Cancel the active run (and drop enqueued messages); repeating it is harmless. A run
    held by a worker is flagged and stopped by that worker; a queued one ends here."""
    session = _locked_session(session_id, owner)
    runs = session.runs.select_for_update().filter(
        state__in=[Run.State.PENDING, *Run.ACTIVE_STATES]
    )
    if session.state in Session.TERMINAL_STATES and not runs.exists():
        return session
    events = []
    for run in runs:
        lease_alive = run.lease_expires_at is not None and run.lease_expires_at > timezone.now()
        if run.state == Run.State.RUNNING and lease_alive:
            if not run.cancel_requested:
                run.cancel_requested = True
                run.save(update_fields=["cancel_requested"])
        else:
            close_run_as_cancelled(run)
    if session.state != Session.State.CANCELLED:
        session.state = Session.State.CANCELLED
        session.save(update_fields=["state", "updated_at"])
        events.append(NewEvent(SessionEvent.Type.STATE, {"state": Session.State.CANCELLED}))
        append_events(session, None, events)
    for child in session.children.exclude(state__in=Session.TERMINAL_STATES):
        session_cancel(session_id=child.pk)
    return session


def artifact_create(
    *, session_id: uuid.UUID | str, name: str, content: str, content_type: str = "text/markdown"
) -> Artifact:
    return Artifact.objects.create(
        session_id=session_id, name=name, content=content, content_type=content_type
    )


@dataclass(frozen=True)
class Turn:
    session: Session
    run: Run
    model: str
    # Events with a larger seq belong to this turn's follow-up.
    after_seq: int
    stream_format: str
    resumed: bool


def chat_turn(
    *,
    target: ChatTarget,
    task: str,
    owner: str = "",
    on_busy: str | None = None,
    tool_scope: ToolScope | None = None,
    approve: bool | None = None,
    max_active_runs: int = 0,
    conversation: Conversation | None = None,
    transcript_hash: str = "",
    answer_schema: dict[str, Any] | None = None,
    client_tools: list[dict[str, Any]] | None = None,
    tool_result: ToolResult | None = None,
    tokens_per_day: int = 0,
) -> Turn:
    """Start a session of the template or pipeline ``target`` names, or continue the
    session it names (``approve``: the answer to its pending approval, ``task`` then the
    comment; ``tool_result``: the client's result of the call it waits for). The target is
    resolved by the caller, once (``agents.selectors.chat_target``). ``conversation``: what
    the client sent before ``task``; ``transcript_hash``: its hash with ``task``, kept on
    the run so the conversation's next request finds this session; ``answer_schema``: the
    JSON Schema the turn's final answer follows (the client's ``response_format``);
    ``client_tools``: the client's tools the agent may call; ``tokens_per_day``: the daily
    token budget of the key that asks (0: none). Refuses before writing anything when the
    agent has no upstream configured (503), requires a tool ``tool_scope`` keeps out (403),
    the owner has ``max_active_runs`` (429), or the turn's first step does not fit the
    budget (429)."""
    conversation = conversation or Conversation()
    if isinstance(target, SessionTarget):
        return _continue_session(
            target,
            task=task,
            owner=owner,
            on_busy=on_busy,
            tool_scope=tool_scope,
            approve=approve,
            max_active_runs=max_active_runs,
            conversation=conversation,
            transcript_hash=transcript_hash,
            answer_schema=answer_schema,
            client_tools=client_tools,
            tool_result=tool_result,
            tokens_per_day=tokens_per_day,
        )
    if approve is not None:
        raise InvalidMessage(
            "approve answers a session's pending approval: model must be the session id",
            param="approve",
        )
    first = target.versions[0]
    with transaction.atomic():
        # Admitted first (429 before anything else is refused or written); the budget row
        # stays locked until the run that holds the reservation is committed.
        tokens = 0
        if tokens_per_day:
            said = [conversation.history, conversation.instructions, conversation.user_context]
            tokens = _first_step_tokens(
                first,
                len(first.initial_user_prompt)
                + len(task)
                + len(json.dumps(said, ensure_ascii=False)),
            )
            token_admit(owner=owner, tokens_per_day=tokens_per_day, tokens=tokens)
        resolve_upstream(LLMPolicy.model_validate(first.llm_policy))
        if tool_scope is not None:
            _check_tool_scope(tool_scope, list(target.versions))
        session, run = session_start(
            template_version=first,
            task=task,
            owner=owner,
            pipeline_version=target.pipeline_version,
            pipeline_plan=[v.pk for v in target.versions] if target.pipeline_version else [],
            tool_scope=tool_scope,
            max_active_runs=max_active_runs,
            conversation=conversation,
            transcript_hash=transcript_hash,
            answer_schema=answer_schema,
            client_tools=client_tools,
        )
        if tokens:
            token_hold(run=run, tokens_per_day=tokens_per_day, tokens=tokens)
    policy = ExecutionPolicy.model_validate(first.execution_policy)
    return Turn(session, run, target.model, 0, policy.stream_format, resumed=False)


def _continue_session(
    target: SessionTarget,
    *,
    task: str,
    owner: str,
    on_busy: str | None,
    tool_scope: ToolScope | None,
    approve: bool | None,
    max_active_runs: int,
    conversation: Conversation,
    transcript_hash: str,
    answer_schema: dict[str, Any] | None,
    client_tools: list[dict[str, Any]] | None,
    tool_result: ToolResult | None,
    tokens_per_day: int,
) -> Turn:
    """``chat_turn`` on a session: the client's tool result, an approval, or a message."""
    existing = target.session
    if approve is not None and tool_result is None and not target.named:
        raise InvalidMessage(
            "approve answers a session's pending approval: model must be the session id",
            param="approve",
        )
    policy = ExecutionPolicy.model_validate(existing.template_version.execution_policy)
    after = existing.last_seq
    with transaction.atomic():
        tokens = 0
        if approve is None or tool_result is not None:
            # An approval is admitted by session_approve, once it holds the session's lock.
            said = tool_result.content if tool_result is not None else task
            tokens = _admit_continuation(existing, owner, tokens_per_day, said)
        resolve_upstream(LLMPolicy.model_validate(existing.template_version.llm_policy))
        if tool_result is not None:
            session, run = session_tool_result(
                result=tool_result,
                owner=owner,
                max_active_runs=max_active_runs,
                transcript_hash=transcript_hash,
                client_tools=client_tools,
            )
        elif approve is not None:
            session, run = session_approve(
                session_id=existing.pk,
                approved=approve,
                reason=task,
                owner=owner,
                approver=owner,
                tool_scope=tool_scope,
                max_active_runs=max_active_runs,
                tokens_per_day=tokens_per_day,
            )
        else:
            session, run = session_message(
                session_id=existing.pk,
                message=task,
                owner=owner,
                on_busy=on_busy or policy.on_busy,
                tool_scope=tool_scope,
                max_active_runs=max_active_runs,
                instructions=conversation.instructions,
                user_context=conversation.user_context,
                transcript_hash=transcript_hash,
                answer_schema=answer_schema,
                client_tools=client_tools,
            )
        if tokens:
            token_hold(run=run, tokens_per_day=tokens_per_day, tokens=tokens)
    return Turn(session, run, target.model, after, policy.stream_format, resumed=True)


def child_session_open(
    *,
    parent_id: uuid.UUID,
    parent_run_id: int,
    worker: str,
    delegation_key: str,
    template: str,
    task: str,
) -> tuple[Session, Run | None]:
    """The child session for one delegated call: found again by its key on a retried call
    (then with no new run), else started now with a queued run, and announced in the
    parent's event log in the same transaction (while ``worker`` holds the parent's run)."""
    from catalog.selectors import model_resolve

    existing = Session.objects.filter(
        parent_id=parent_id, context__delegation_key=delegation_key
    ).first()
    if existing is not None:
        return existing, existing.runs.filter(state__in=Run.ACTIVE_STATES).first()
    resolved = model_resolve(template)
    if resolved.template_version is None:
        raise SessionNotFound(f"agent tool names no agent template {template!r}")
    parent_scope = Session.objects.values_list("tool_scope", flat=True).get(pk=parent_id)
    _check_tool_scope(ToolScope.model_validate(parent_scope), [resolved.template_version])
    with transaction.atomic():
        parent_run = lock_owned_run(parent_run_id, worker, session_id=parent_id)
        parent = parent_run.session
        # The delegated agent serves the same user: it is told the same about them.
        about_user = parent.context.get("user_context") or None
        session, run = session_start(
            template_version=resolved.template_version,
            task=task,
            owner=parent.owner,
            parent=parent,
            conversation=Conversation(user_context=about_user),
        )
        session.context["delegation_key"] = delegation_key
        Session.objects.filter(pk=session.pk).update(context=session.context)
        # The child's steps are held to the budget its parent's run was admitted under.
        Run.objects.filter(pk=run.pk).update(token_limit=parent_run.token_limit)
        append_events(
            parent,
            parent_run,
            [
                NewEvent(
                    SessionEvent.Type.CHILD_SESSION,
                    {"child_session_id": str(session.pk), "template": template, "task": task},
                    int(parent.context.get("iteration", 0)),
                )
            ],
        )
    return session, run
