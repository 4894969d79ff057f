"""The agent loop: executes one run, step by step, persisting after every phase.

A step has two persisted phases, each one transaction (``services.step_record``):
1. decide: rules (+ retrieval) pick the offered tools, the flavour asks the upstream for
   the next action; the reasoning, selection and call are stored with ``pending_call``.
2. act: the tool runs under an idempotency key (session, step, call); its outcome, the
   tool message and counters are stored and ``pending_call`` cleared.
A run resumed on another worker continues from the stored context: a pending call is
executed (or its stored outcome replayed), an in-flight LLM call is simply issued again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents import services
from agents.engine.answers import shape_answers
from agents.engine.client_tools import (
    CLIENT_BINDING,
    client_arguments,
    client_call_id,
    client_tool_spec,
    client_tool_specs,
)
from agents.engine.definition import AgentDefinition, ToolSpec, load_definition
from agents.engine.flavours import FLAVOURS, StepLedger, tool_call_message
from agents.engine.prompts import render_prompt, system_prompt
from agents.engine.rules import apply_rules
from agents.engine.selection import caller_exclusions, limit_exclusions, select_tools
from agents.engine.takeover import (
    MAY_HAVE_RUN,
    UNKNOWN_OUTCOME,
    Decision,
    takeover_decision,
    takeover_event,
)
from agents.exceptions import AgentGaveUp
from agents.models import Run, Session, SessionEvent, ToolExecution
from agents.services import NewEvent, StepRecord
from agents.tools.base import ToolContext, ToolOutcome, WorkerRuntime
from agents.tools.executor import execute_tool, is_pure
from maruntime.asyncdb import call_retrying, run_sync
from maruntime.errors import DomainError
from maruntime.faults import Backoff
from maruntime.observability import TOOL_APPROVALS, bind_log_context, reset_log_context
from maruntime.tracing import tracer

logger = logging.getLogger(__name__)
Event = SessionEvent.Type
TOOL_RESULT_EVENT_LIMIT = 4000
DEFINITION_TTL_SECONDS = 5.0


@dataclass
class RunScope:
    run_id: int
    worker: str
    session: Session
    runtime: WorkerRuntime


def _load(run_id: int) -> Session:
    run = Run.objects.select_related("session").get(pk=run_id)
    return run.session


class DefinitionCache:
    """Agent definitions held by a worker's instances, rebuilt when older than
    ``DEFINITION_TTL_SECONDS`` so catalog changes (a tool activated, deactivated) reach
    running workers within seconds without a reload on every run."""

    def __init__(self) -> None:
        self._definitions: dict[int, tuple[float, AgentDefinition]] = {}

    async def get(self, template_version_id: int) -> AgentDefinition:
        cached = self._definitions.get(template_version_id)
        if cached is None or time.monotonic() - cached[0] > DEFINITION_TTL_SECONDS:
            definition = await run_sync(load_definition)(template_version_id)
            cached = self._definitions[template_version_id] = (time.monotonic(), definition)
        return cached[1]


async def execute_run(
    *, run_id: int, runtime: WorkerRuntime, session: Session | None = None
) -> str:
    """Drive the run until it finishes, pauses for clarification or is handed back.
    Returns the outcome. Raises ``LeaseLost`` if another worker took the run over.
    ``session``: the run's session when the caller already loaded it."""
    if session is None:
        session = await run_sync(_load)(run_id)
    scope = RunScope(run_id=run_id, worker=runtime.worker, session=session, runtime=runtime)
    if session.state == Session.State.CANCELLED:
        await run_sync(services.run_finish_cancelled)(run_id=run_id, worker=runtime.worker)
        return Session.State.CANCELLED
    token = bind_log_context(session_id=session.pk, run_id=run_id)
    run_span = tracer.start_as_current_span(
        "run", attributes={"session.id": str(session.pk), "run.id": run_id}
    )
    started = time.monotonic()
    # A call pending when the run starts may have run before a crash: look for its outcome.
    resuming_call = bool(session.context.get("pending_call"))
    try:
        with run_span:
            return await _steps(scope, started, resuming_call)
    finally:
        reset_log_context(token)


async def _steps(scope: RunScope, started: float, resuming_call: bool) -> str:
    """The run's steps until an outcome (see ``execute_run``)."""
    session, run_id, worker = scope.session, scope.run_id, scope.worker
    stopping, definitions = scope.runtime.stopping, scope.runtime.definitions
    while True:
        definition = await definitions.get(session.template_version_id)
        # Reset with the run's token in ``execute_run``, like every binding below it.
        bind_log_context(template=definition.template_name)
        context = session.context
        step = int(context.get("iteration", 0))
        try:
            if context.get("pending_call"):
                with tracer.start_as_current_span("step.act", attributes={"step": step}):
                    outcome = await _act(scope, definition, context, resuming=resuming_call)
                resuming_call = False
                if outcome is not None:
                    return outcome
            elif stopping.is_set():
                await run_sync(services.run_release)(run_id=run_id, worker=worker)
                return "released"
            else:
                _check_budgets(definition, context, started)
                with tracer.start_as_current_span("step.decide", attributes={"step": step + 1}):
                    outcome = await _decide(scope, definition, context)
                if outcome is not None:
                    return outcome
        except DomainError as error:
            await _fail(scope, context, error)
            return Session.State.FAILED
        session = scope.session


class BudgetExceeded(DomainError):
    code = "budget_exceeded"


class NoToolsOffered(DomainError):
    code = "no_tools_offered"


# Steps an agent may take after ``max_iterations`` to finish (sgr-agent-core's limit rules
# then offer a report and the final answer); the run fails when it goes past them.
FINISHING_STEPS = 2


def _check_budgets(definition: AgentDefinition, context: dict[str, Any], started: float) -> None:
    policy = definition.execution
    if int(context.get("iteration", 0)) >= policy.max_iterations + FINISHING_STEPS:
        raise BudgetExceeded(
            f"max_iterations ({policy.max_iterations}) reached and {FINISHING_STEPS} more "
            "steps did not finish the run"
        )
    if context.get("tool_calls", 0) >= policy.tool_budget:
        raise BudgetExceeded(f"tool budget of {policy.tool_budget} calls exhausted")
    if time.monotonic() - started > policy.time_budget_seconds:
        raise BudgetExceeded(f"time budget of {policy.time_budget_seconds:g} s exhausted")


async def _record(scope: RunScope, record: StepRecord) -> None:
    scope.session = await run_sync(services.step_record)(
        run_id=scope.run_id, session_id=scope.session.pk, worker=scope.worker, record=record
    )


def _retry_events(ledger: StepLedger, step: int) -> list[NewEvent]:
    return [NewEvent(Event.LLM_RETRY, retry, step) for retry in ledger.retries]


def _charged(context: dict[str, Any], ledger: StepLedger) -> dict[str, int]:
    """The session's usage with the step's tokens added (key token budgets sum these)."""
    usage = dict(context.get("usage") or {"prompt": 0, "completion": 0})
    for key, value in ledger.usage.items():
        usage[key] = usage.get(key, 0) + value
    return usage


async def _fail(
    scope: RunScope,
    context: dict[str, Any],
    error: DomainError,
    ledger: StepLedger | None = None,
    step: int = 0,
) -> None:
    """End the run as failed; a failed decide step's re-asks and tokens are kept."""
    ledger = ledger or StepLedger()
    await _record(
        scope,
        StepRecord(
            events=[*_retry_events(ledger, step), _error_event(error, step)],
            context={**context, "pending_call": None, "usage": _charged(context, ledger)},
            session_state=Session.State.FAILED,
            error=error.message,
            finish_outcome=Session.State.FAILED,
        ),
    )


def _error_event(error: DomainError, step: int) -> NewEvent:
    """The ``error`` event a failed run ends with (the gateway answers the turn with it)."""
    payload = {
        "code": error.code,
        "message": error.message,
        "type": error.error_type,
        "status": error.http_status,
        "retry_after": error.retry_after,
    }
    return NewEvent(Event.ERROR, payload, step)


def _reservation_tokens(
    definition: AgentDefinition, messages: list[dict[str, Any]], offered: tuple[ToolSpec, ...]
) -> int:
    """What a step's LLM calls may use at most: the prompt (messages and the offered tools'
    schemas) plus ``max_tokens``, for each call the flavour makes (the hybrid makes two)."""
    prompt_chars = len(json.dumps(messages, ensure_ascii=False)) + sum(
        len(spec.description) + len(json.dumps(spec.input_schema)) for spec in offered
    )
    calls = 2 if definition.flavour == "sgr_tool_calling" else 1
    return services.token_estimate(
        prompt_chars=prompt_chars, max_tokens=definition.llm.max_tokens, calls=calls
    )


async def _reserve_tokens(
    owner: str, run_id: int, tokens: Callable[[], int]
) -> services.TokenReservation | None:
    """A reservation of ``tokens()`` on ``owner``'s daily budget for a step's LLM calls
    (``agents.services.budgets``), settled by the caller with what the calls charged;
    None when the owner has no budget (sessions without an owner never have one). Raises
    ``TokenBudgetExhausted`` before any call when the reservation does not fit."""
    if not owner:
        return None
    reserved: services.TokenReservation | None = await run_sync(services.token_reserve)(
        owner=owner, tokens=tokens(), run_id=run_id
    )
    return reserved


def _system_message(
    definition: AgentDefinition, offered: tuple[ToolSpec, ...], context: dict[str, Any]
) -> dict[str, Any]:
    """The template's prompt, then the request's user context and the user's instructions
    (a chat client's system message), which cannot override it."""
    listing = "\n".join(f"- {spec.name}: {spec.description}" for spec in offered)
    content = system_prompt(
        definition.system_prompt,
        available_tools=listing,
        instructions=str(context.get("instructions") or ""),
        user_context=context.get("user_context"),
    )
    return {"role": "system", "content": content}


async def _decide(
    scope: RunScope, definition: AgentDefinition, context: dict[str, Any]
) -> str | None:
    """Choose and persist the step's call; returns ``failed`` when the run ended here."""
    step = int(context.get("iteration", 0)) + 1
    barred = {
        **limit_exclusions(definition, context),
        **caller_exclusions(definition, scope.session.tool_scope),
    }
    names = sorted(name for name in definition.tools if name not in barred)
    counters = {**context, "state": scope.session.state}
    ruled = apply_rules(definition.rules, names, counters)
    selection = await select_tools(definition, ruled, context, scope.session.task)
    selection.excluded.update(barred)
    offered = shape_answers(
        tuple(definition.tools[name] for name in selection.offered), context.get("answer_schema")
    )
    if not offered:
        raise NoToolsOffered(
            f"No tool is available to {definition.template_name} at step {step}: check the "
            "template's tool policy and rules, and that its tools have active, bound versions"
        )
    offered += client_tool_specs(context.get("client_tools"), set(definition.tools))
    messages = [
        _system_message(definition, offered, context),
        *context["messages"],
    ]
    ledger = StepLedger()
    reservation = await _reserve_tokens(
        scope.session.owner,
        scope.run_id,
        lambda: _reservation_tokens(definition, messages, offered),
    )
    try:
        decision = await FLAVOURS[definition.flavour](definition, messages, offered, step, ledger)
    except DomainError as error:
        await _fail(scope, context, error, ledger, step)
        return Session.State.FAILED
    finally:
        if reservation is not None:
            used = ledger.usage["prompt"] + ledger.usage["completion"]
            await run_sync(services.token_settle)(reservation=reservation, used=used)
    events = [
        NewEvent(Event.TOOL_SELECTION, selection.as_payload(), step),
        *_retry_events(ledger, step),
    ]
    if decision.reasoning is not None:
        events.append(NewEvent(Event.REASONING, decision.reasoning, step))
    events.append(
        NewEvent(
            Event.TOOL_CALL,
            {
                "tool": decision.tool,
                "arguments": decision.arguments,
                "call_id": decision.call_id,
                "usage": ledger.usage,
            },
            step,
        )
    )
    history = list(context["messages"]) + decision.preamble
    history.append(
        tool_call_message(
            decision.call_id,
            decision.tool,
            decision.arguments,
            json.dumps(decision.reasoning, ensure_ascii=False)
            if decision.reasoning and not decision.preamble
            else "",
        )
    )
    new_context = {
        **context,
        "messages": history,
        "iteration": step,
        "stage": selection.stage,
        "usage": _charged(context, ledger),
        "pending_call": {
            "step": step,
            "tool": decision.tool,
            "arguments": decision.arguments,
            "call_id": decision.call_id,
        },
    }
    await _record(
        scope,
        StepRecord(events=events, context=new_context, session_state=Session.State.RUNNING),
    )
    return None


async def _act(
    scope: RunScope, definition: AgentDefinition, context: dict[str, Any], *, resuming: bool
) -> str | None:
    """Run the pending call (once, ever: when ``resuming``, a stored outcome is replayed)
    and persist its effects. Returns the run's outcome when the run ends here, else None."""
    call = context["pending_call"]
    step = int(call["step"])
    session = scope.session
    # Unique per call for the session's whole life (pipeline steps restart the count).
    key = f"{session.pk}:{session.pipeline_step}:{step}:{call['call_id']}"
    spec = definition.tools.get(call["tool"]) or client_tool_spec(
        context.get("client_tools"), call["tool"]
    )
    if spec is not None and spec.binding_kind == CLIENT_BINDING:
        if "client_result" not in call:
            return await _await_client_tool(scope, context, call, spec)
        result = ToolOutcome(content=str(call["client_result"]))
        return await _apply_outcome(scope, definition, context, call, result)
    approval = call.get("approval")
    if spec is not None and spec.requires_approval and approval is None:
        return await _request_approval(scope, context, call, spec)
    if approval is not None and not approval["approved"]:
        declined = ToolOutcome(content=services.declined_call_content(approval["reason"]))
        return await _apply_outcome(scope, definition, context, call, declined, ran=False)
    if spec is not None and is_pure(spec):
        outcome, failed, duration_ms = await _call_tool(scope, spec, call, key)
        execution = ToolExecution(
            idempotency_key=key,
            session_id=session.pk,
            tool_name=call["tool"],
            arguments=call["arguments"],
            result=json.dumps(outcome.to_json(), ensure_ascii=False),
            status=ToolExecution.Status.FAILED if failed else ToolExecution.Status.COMPLETED,
            duration_ms=duration_ms,
        )
        return await _apply_outcome(scope, definition, context, call, outcome, execution)
    if resuming:
        status, stored = await run_sync(services.tool_execution_state)(idempotency_key=key)
        if stored is not None:
            outcome = ToolOutcome.from_json(stored)
            return await _apply_outcome(scope, definition, context, call, outcome)
        if status == ToolExecution.Status.RUNNING:
            decision = takeover_decision(spec, call)
            if decision in ("ask", "report"):
                return await _take_over_without_running(
                    scope, definition, context, call, key, decision
                )
            await _record_takeover(scope, context, call, key, decision)
    outcome = await _run_tool(scope, spec, call, key)
    return await _apply_outcome(scope, definition, context, call, outcome)


async def _record_takeover(
    scope: RunScope, context: dict[str, Any], call: dict[str, Any], key: str, decision: Decision
) -> None:
    """The call runs again: say so first. After an approval, the approval is spent: if
    this worker dies too, the next takeover asks again."""
    pending = {**call, "may_have_run": False} if decision == "approved" else call
    await _record(
        scope,
        StepRecord(
            events=[takeover_event(call, key, decision)],
            context={**context, "pending_call": pending},
        ),
    )


async def _take_over_without_running(
    scope: RunScope,
    definition: AgentDefinition,
    context: dict[str, Any],
    call: dict[str, Any],
    key: str,
    decision: Decision,
) -> str | None:
    """``ask``: the session waits for a person's approval (the run ends). ``report``: the
    call ends with an unknown outcome, which the model reads."""
    event = takeover_event(call, key, decision)
    if decision == "ask":
        asking = {**call, "approval": None, "may_have_run": True}
        spec = definition.tools[call["tool"]]
        return await _request_approval(
            scope, {**context, "pending_call": asking}, asking, spec, preceding=[event]
        )
    outcome = ToolOutcome(content=UNKNOWN_OUTCOME, payload={"outcome_unknown": True})
    await run_sync(services.tool_execution_finish)(
        idempotency_key=key, outcome=outcome.to_json(), failed=True, duration_ms=None
    )
    await _record(scope, StepRecord(events=[event], context=context))
    return await _apply_outcome(scope, definition, context, call, outcome)


async def _request_approval(
    scope: RunScope,
    context: dict[str, Any],
    call: dict[str, Any],
    spec: ToolSpec,
    *,
    preceding: list[NewEvent] | None = None,
) -> str:
    """Pause before a call that needs a person's approval (or, ``may_have_run``, one that
    was in flight when its worker died): the run ends, the worker is free, and the session
    waits with the call pending until ``session_approve`` (or a new message, which
    declines it) queues the next run. ``preceding``: events recorded just before."""
    payload = {
        "tool": spec.name,
        "arguments": call["arguments"],
        "call_id": call["call_id"],
        "risk_level": spec.risk_level,
    }
    if call.get("may_have_run"):
        payload.update(may_have_run=True, message=MAY_HAVE_RUN)
    await _record(
        scope,
        StepRecord(
            events=[
                *(preceding or []),
                NewEvent(Event.APPROVAL_REQUEST, payload, int(call["step"])),
            ],
            context=context,
            session_state=Session.State.WAITING_FOR_APPROVAL,
            finish_outcome=Session.State.WAITING_FOR_APPROVAL,
        ),
    )
    TOOL_APPROVALS.labels(spec.name, "requested").inc()
    return Session.State.WAITING_FOR_APPROVAL


async def _await_client_tool(
    scope: RunScope, context: dict[str, Any], call: dict[str, Any], spec: ToolSpec
) -> str:
    """End the run on a call to one of the client's tools: the client runs it and sends the
    result (``session_tool_result``), which queues the run that goes on."""
    step = int(call["step"])
    payload = {
        "tool": spec.name,
        "arguments": client_arguments(spec, call["arguments"]),
        "call_id": client_call_id(scope.session.pk, step),
    }
    await _record(
        scope,
        StepRecord(
            events=[NewEvent(Event.CLIENT_TOOL_CALL, payload, step)],
            context=context,
            session_state=Session.State.WAITING_FOR_TOOL_RESULT,
            finish_outcome=Session.State.WAITING_FOR_TOOL_RESULT,
        ),
    )
    return Session.State.WAITING_FOR_TOOL_RESULT


async def _call_tool(
    scope: RunScope, spec: ToolSpec | None, call: dict[str, Any], key: str
) -> tuple[ToolOutcome, bool, float]:
    """Execute the call under its idempotency ``key``; a failing tool becomes an error
    outcome the model sees. Returns the outcome, whether it failed, and the duration in ms."""
    session = scope.session
    context = ToolContext(
        session_id=session.pk,
        run_id=scope.run_id,
        step=int(call["step"]),
        depth=session.depth,
        owner=session.owner,
        state=session.context,
        runtime=scope.runtime,
        idempotency_key=key,
    )
    started = time.perf_counter()
    token = bind_log_context(tool=call["tool"])
    failed = False
    try:
        if spec is None:
            raise RuntimeError(f"tool {call['tool']!r} is not offered to this agent")
        with tracer.start_as_current_span(f"tool {spec.name}", attributes={"tool": spec.name}):
            outcome = await execute_tool(spec, call["arguments"], context)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a failing tool is reported to the model, not fatal
        failed = True
        outcome = ToolOutcome(content=f"Error: the tool failed: {exc}")
    finally:
        reset_log_context(token)
    return outcome, failed, (time.perf_counter() - started) * 1000


async def _run_tool(
    scope: RunScope, spec: ToolSpec | None, call: dict[str, Any], key: str
) -> ToolOutcome:
    """A call with effects: recorded as running before it starts, finished after, so a
    completed call is never executed again, whatever happens to this worker."""
    await run_sync(services.tool_execution_begin)(
        idempotency_key=key,
        session_id=scope.session.pk,
        run_id=scope.run_id,
        tool_name=call["tool"],
        arguments=call["arguments"],
    )
    outcome, failed, duration_ms = await _call_tool(scope, spec, call, key)
    # The call has run: a run handed back without its outcome would find it in flight and,
    # taken over, run it again. So a database fault here is waited out in place while this
    # worker still holds the lease (the write is safe to repeat).
    await call_retrying(
        services.tool_execution_finish,
        until=scope.runtime.lease_ends(scope.run_id),
        backoff=Backoff(f"writing the outcome of call {key}", logger),
        idempotency_key=key,
        outcome=outcome.to_json(),
        failed=failed,
        duration_ms=duration_ms,
    )
    return outcome


async def _apply_outcome(
    scope: RunScope,
    definition: AgentDefinition,
    context: dict[str, Any],
    call: dict[str, Any],
    outcome: ToolOutcome,
    execution: ToolExecution | None = None,
    *,
    ran: bool = True,
) -> str | None:
    """Persist the call's outcome. ``ran``: False for a declined call, which counts
    towards no budget or limit."""
    step = int(call["step"])
    new_context = {**context, **outcome.context_updates, "pending_call": None}
    for counter, delta in outcome.counters.items():
        new_context[counter] = int(new_context.get(counter, 0)) + delta
    if ran:
        new_context["tool_calls"] = int(new_context.get("tool_calls", 0)) + 1
        uses = dict(context.get("tool_uses") or {})
        uses[call["tool"]] = int(uses.get(call["tool"], 0)) + 1
        new_context["tool_uses"] = uses
    new_context["messages"] = [
        *context["messages"],
        {"role": "tool", "tool_call_id": call["call_id"], "content": outcome.content},
    ]
    events = [
        NewEvent(
            Event.TOOL_RESULT,
            {
                "tool": call["tool"],
                "call_id": call["call_id"],
                "content": outcome.content[:TOOL_RESULT_EVENT_LIMIT],
                **outcome.payload,
            },
            step,
        )
    ]
    record = StepRecord(events=events, context=new_context, tool_execution=execution)
    if outcome.ending == "clarification":
        events.append(NewEvent(Event.CLARIFICATION, outcome.payload, step))
        record.session_state = Session.State.WAITING_FOR_CLARIFICATION
        record.finish_outcome = Session.State.WAITING_FOR_CLARIFICATION
    elif outcome.ending == "final":
        next_step = await _next_pipeline_step(scope.session)
        if next_step is not None:
            _advance_pipeline(record, scope.session, outcome, next_step)
        else:
            failed = outcome.payload.get("status") == "failed"
            state = Session.State.FAILED if failed else Session.State.COMPLETED
            record.session_state = state
            record.result = outcome.content
            record.finish_outcome = state
            if failed:
                # The agent's own verdict: the turn fails with its words, never as an answer.
                gave_up = AgentGaveUp(
                    f"The agent could not complete the task; its final answer: {outcome.content}"
                )
                events.append(_error_event(gave_up, step))
                record.error = gave_up.message
            else:
                events.append(NewEvent(Event.FINAL_ANSWER, outcome.payload, step))
    await _record(scope, record)
    return record.finish_outcome


async def _next_pipeline_step(session: Session) -> tuple[int, Any] | None:
    plan = session.pipeline_plan or []
    index = session.pipeline_step + 1
    if index >= len(plan):
        return None
    return index, await run_sync(_initial_user_prompt)(int(plan[index]))


def _initial_user_prompt(template_version_id: int) -> str:
    from catalog.models import AgentTemplateVersion

    version = AgentTemplateVersion.objects.get(pk=template_version_id)
    return version.initial_user_prompt or "{task}"


def _advance_pipeline(
    record: StepRecord, session: Session, outcome: ToolOutcome, next_step: tuple[int, Any]
) -> None:
    """A pipeline step finished: its answer becomes the next step's task."""
    index, prompt = next_step
    template_version_id = int(session.pipeline_plan[index])
    record.events.append(
        NewEvent(
            Event.PIPELINE_STEP,
            {
                "step": index,
                "template_version_id": template_version_id,
                "previous_answer": outcome.content,
            },
        )
    )
    fresh = services.new_context()
    fresh["messages"] = [{"role": "user", "content": render_prompt(prompt, task=outcome.content)}]
    fresh["usage"] = record.context.get("usage")
    # What the client asked of the whole conversation holds for every step.
    fresh["instructions"] = record.context.get("instructions", "")
    fresh["user_context"] = record.context.get("user_context") or {}
    fresh["answer_schema"] = record.context.get("answer_schema")
    record.context = fresh
    record.template_version_id = template_version_id
    record.pipeline_step = index
