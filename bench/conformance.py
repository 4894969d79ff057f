"""Conformance: the same tasks through every built-in model against every upstream
runnable here — the scripted fake (a model that always follows the protocol, the
baseline), the same fake with llama-cpp-python's quirks (``fake-llama``), and
llama-cpp-python's server on three small models, in both of llama.cpp's chat handlers.
``make conformance``.

Tasks: a one-step question, a planned three-step task (plan, report, answer) and an
ambiguous request that should be clarified first (the clarification is answered), for the
four built-in models; the question and a note to keep in memory (a file, then the answer)
for ``memory_agent`` as seeded from sgr-agent-core's ``sgr-memory-agent`` branch. Every
run is judged by ``tests.real_servers.judge`` from the public API: completed (every step
valid), failed (with an error a user can act on, or not), and any silent false success.
Reported per upstream, chat handler and model: completion rate, steps and re-asks per
task, seconds per step, silent false successes, unclear errors, invalid steps.

``BENCH_CONFORMANCE`` picks the upstreams and, after a colon, their tasks
(``fake,fake-llama,smollm2,qwen2.5-coder:question,gemma3:question``; default: all of them with every
task). The table (``bench/results/conformance.json``) is written after each model, and
keeps the earlier rows of those this run does not measure, so a few upstreams at a time add
up to the whole table. maruntime runs with zero configuration: nothing but
``OPENAI_BASE_URL``, on a throwaway database created, migrated, seeded and dropped here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.runtime import ROOT, Bench, _connect, _free_port, _server_settings
from maruntime.database import database_url

MODELS = ("sgr_agent", "sgr_tool_calling_agent", "tool_calling_agent", "router")
# Seeded from sgr-agent-core's ``sgr-memory-agent`` branch (the layout the seeding tests use):
# a hybrid agent whose only tools are web search, the ten file-memory tools and the answer.
MEMORY_AGENT = "memory_agent"
CLARIFICATION_ANSWER = "I mean Tesla and BYD, by cars sold in 2024; answer directly."


@dataclass(frozen=True)
class Task:
    """``plan``: the tools a model that follows the protocol calls, in order (the fake's
    script; the router delegates first)."""

    name: str
    text: str
    plan: tuple[str, ...]


TASKS = {
    task.name: task
    for task in (
        Task(
            "question",
            "What is the capital of France? Answer with the city's name.",
            ("final_answer",),
        ),
        Task(
            "planned",
            "Research why the sky is blue and write a short report: first make a plan, then "
            "write the report with create_report, then give the final answer.",
            ("generate_plan", "create_report", "final_answer"),
        ),
        Task(
            "clarification",
            "Compare the two companies.",
            ("clarification", "final_answer"),
        ),
        Task(
            "memory",
            "Remember that Ann likes green tea: save it as a note in your memory, then confirm.",
            ("create_file", "final_answer"),
        ),
    )
}
# The tasks each model is given (of those selected): the memory agent has no planning or
# clarification tools, the built-in agents no memory.
TASKS_OF = {
    **{model: ("question", "planned", "clarification") for model in MODELS},
    MEMORY_AGENT: ("question", "memory"),
}
FAKE = "fake"
# The fake with llama-cpp-python's quirks: the engine against that server's protocol, with a
# model that always follows it.
FAKE_LLAMA = "fake-llama"
LLAMA_MODELS = ("smollm2", "qwen2.5-coder", "gemma3")
DEFAULT_SELECTION = ",".join((FAKE, FAKE_LLAMA, *LLAMA_MODELS))
# The table's order of handlers: the fakes' "-", then llama.cpp's as CHAT_HANDLERS lists them.
HANDLER_ORDER = {"-": 0, "default": 1, "chatml-function-calling": 2}


def _selection() -> list[tuple[str, tuple[Task, ...]]]:
    """``BENCH_CONFORMANCE`` as (upstream, its tasks)."""
    chosen = []
    for item in os.environ.get("BENCH_CONFORMANCE", DEFAULT_SELECTION).split(","):
        upstream, _, names = item.strip().partition(":")
        if upstream not in (FAKE, FAKE_LLAMA, *LLAMA_MODELS):
            raise SystemExit(f"BENCH_CONFORMANCE: unknown upstream {upstream!r}")
        tasks = tuple(TASKS[name] for name in names.split("+")) if names else tuple(TASKS.values())
        chosen.append((upstream, tasks))
    return chosen


# -- the fake upstream: a model that always follows the protocol ----------------------------

_ARGUMENTS: dict[str, dict[str, Any]] = {
    "final_answer": {
        "reasoning": "The request is answered.",
        "completed_steps": ["Answered the request."],
        "answer": "Paris.",
        "status": "completed",
    },
    "generate_plan": {
        "reasoning": "Plan first.",
        "research_goal": "Explain why the sky is blue.",
        "planned_steps": ["Recall Rayleigh scattering", "Write the report"],
        "search_strategies": ["none needed"],
    },
    "create_report": {
        "reasoning": "The plan is done.",
        "title": "Why the sky is blue",
        "content": "Air scatters short (blue) wavelengths of sunlight more than long ones.",
        "confidence": "high",
    },
    "create_file": {
        "reasoning": "Keep the fact.",
        "file_path": "people/ann.md",
        "content": "# Ann\nLikes green tea.\n",
    },
    "clarification": {
        "reasoning": "Which companies is unclear.",
        "unclear_terms": ["the two companies"],
        "assumptions": ["the two biggest EV makers"],
        "questions": ["Which two companies do you mean?"],
    },
}
_ROUTER_PROMPT = "You route requests"
_AGENT_LINE = re.compile(r"^- (agent\.[a-z0-9_.-]+):", re.MULTILINE)


def _protocol_responder(request: dict[str, Any]) -> Any:
    """The fake's answer to any request of any flavour: the next tool of the task's plan,
    found from the conversation (its first user message names the task; the tool calls so
    far, other than reasoning, say how far it got)."""
    from agents.engine.schemas import ACTION_FUNCTION
    from tests.fakes.fake_llm import Reply, _forced_function
    from tests.fakes.sgr import REASONING, step

    messages = request.get("messages") or []
    system = next((m["content"] for m in messages if m.get("role") == "system"), "")
    forced = _forced_function(request)
    if forced == "reasoning":
        return Reply.structured(REASONING)
    done = [
        call["function"]["name"]
        for m in messages
        for call in m.get("tool_calls") or ()
        if call["function"]["name"] != "reasoning"
    ]
    if system.startswith(_ROUTER_PROMPT):
        delegate = _AGENT_LINE.search(system)
        plan: tuple[str, ...] = (delegate.group(1) if delegate else "final_answer", "final_answer")
        arguments = {"reasoning": "It fits best.", "task": _task_of(messages).text}
    else:
        plan = _task_of(messages).plan
        arguments = {}
    tool = plan[min(len(done), len(plan) - 1)]
    arguments = arguments if tool.startswith("agent.") else _ARGUMENTS[tool]
    if request.get("tools") and not forced:
        return Reply.tool_call(tool.replace(".", "__"), arguments)
    chosen = step(tool, **{k: v for k, v in arguments.items() if k != "reasoning"})
    # A tool-calling flavour forced to name its action: only the step's choice.
    return Reply.structured(
        {"function": chosen["function"]} if forced == ACTION_FUNCTION else chosen
    )


def _task_of(messages: list[dict[str, Any]]) -> Task:
    first_user = next((str(m["content"]) for m in messages if m.get("role") == "user"), "")
    return next((t for t in TASKS.values() if t.text in first_user), TASKS["question"])


# -- upstreams -------------------------------------------------------------------------------


@contextmanager
def _upstream(name: str, chat_format: str) -> Iterator[str]:
    """The upstream's base URL while it runs."""
    if name in (FAKE, FAKE_LLAMA):
        from tests.fakes.fake_llm import FakeLLM, Quirks

        quirks = Quirks.llama_cpp_python() if name == FAKE_LLAMA else Quirks()
        with FakeLLM(responder=_protocol_responder, quirks=quirks) as fake:
            yield fake.base_url
        return
    from tests.real_servers.llama_server import LlamaServer

    with LlamaServer(name, chat_format=chat_format) as server:
        yield server.base_url


def _upstreams(
    selection: list[tuple[str, tuple[Task, ...]]],
) -> Iterator[tuple[str, str, tuple[Task, ...]]]:
    """(upstream, chat handler, tasks) for every combination runnable here; prints why a
    llama.cpp upstream is skipped."""
    from tests.real_servers.llama_server import CHAT_HANDLERS, unavailable_reason

    for upstream, tasks in selection:
        if upstream in (FAKE, FAKE_LLAMA):
            yield upstream, "-", tasks
            continue
        reason = unavailable_reason(upstream)
        if reason is not None:
            print(f"skipping {upstream}: {reason}", flush=True)
            continue
        for handler in CHAT_HANDLERS:
            yield upstream, handler, tasks


def _row(upstream: str, handler: str, model: str, verdicts: list[Any]) -> dict[str, Any]:
    steps = sum(v.total_steps for v in verdicts)
    seconds = sum(v.seconds for v in verdicts)
    return {
        "upstream": upstream,
        "handler": handler,
        "model": model,
        "tasks": len(verdicts),
        "completed": sum(v.completed and not v.problems for v in verdicts),
        "completion_rate": sum(v.completed and not v.problems for v in verdicts) / len(verdicts),
        "failed_clearly": sum(v.state == "failed" and not v.problems for v in verdicts),
        "steps_per_task": steps / len(verdicts),
        "reasks_per_task": sum(v.reasks for v in verdicts) / len(verdicts),
        "s_per_step": seconds / steps if steps else seconds,
        "silent_false_successes": sum(bool(v.false_success) for v in verdicts),
        "unclear_errors": sum(bool(v.unclear_error) for v in verdicts),
        "invalid_steps": sum(len(v.invalid_steps) for v in verdicts),
        "load_1m": round(os.getloadavg()[0], 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _seed_memory_agent(bench: Bench, logs: Path) -> None:
    """``memory_agent`` as ``seed_catalog`` imports it from sgr-agent-core's
    ``sgr-memory-agent`` branch (the branch's layout, as the seeding tests build it)."""
    from tests.catalog.seeding.layouts import MAIN_LAYOUT, MEMORY_LAYOUT, add_branch, make_repo

    repo = make_repo(logs / "sgr-agent-core", MAIN_LAYOUT)
    add_branch(repo, "sgr-memory-agent", MEMORY_LAYOUT, remove=("sgr_agent_core",))
    bench.manage(
        "seed_catalog", "--repo-path", str(logs / "sgr-agent-core"), "--branch", "sgr-memory-agent"
    )


NOTES = (
    "One session per task and model; maruntime `serve` with only OPENAI_BASE_URL set; "
    "llama-cpp-python 0.3.36 server, n_ctx 8192, one request at a time. completed = "
    "completed with every step valid and no false success; failed_clearly = failed with an "
    "error that names the problem (and the upstream, for upstream failures). load_1m: the "
    "machine's 1-minute load average when the row was measured (2 cores)."
)


def _merged(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """``rows`` and, from the results at ``path``, every row of an (upstream, handler, model)
    this run has not measured (yet), so runs of a few upstreams add up to the whole table."""
    measured = {(row["upstream"], row["handler"], row["model"]) for row in rows}
    try:
        earlier = json.loads(path.read_text())["rows"]
    except (OSError, ValueError, KeyError):
        earlier = []
    kept = [
        row for row in earlier if (row["upstream"], row["handler"], row["model"]) not in measured
    ]
    order = {name: i for i, name in enumerate((FAKE, FAKE_LLAMA, *LLAMA_MODELS))}
    models = {name: i for i, name in enumerate((*MODELS, MEMORY_AGENT))}
    return sorted(
        kept + rows,
        key=lambda row: (
            order.get(row["upstream"], len(order)),
            HANDLER_ORDER.get(row["handler"], len(HANDLER_ORDER)),
            models.get(row["model"], len(models)),
        ),
    )


def run() -> None:
    """Every selected upstream and handler in turn; the table is written after each model."""
    from bench.report import RESULTS_DIR, report
    from tests.real_servers.judge import MaruntimeClient

    started = time.monotonic()
    db = _server_settings()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    name = f"bench_conformance_{uuid.uuid4().hex[:8]}"
    admin = _connect(db, db["NAME"])
    admin.execute(f'CREATE DATABASE "{name}"')
    logs = Path(tempfile.mkdtemp(prefix="bench-conformance-"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LLM_", "REDIS_URL"))
    }
    env.update(DATABASE_URL=database_url(db, name), LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    rows: list[dict[str, Any]] = []
    details: list[dict[str, Any]] = []
    selection = _selection()
    notes = (
        "Last run's selection: "
        + ", ".join(f"{u} ({'+'.join(t.name for t in tasks)})" for u, tasks in selection)
        + f". {NOTES} Each run's story: {logs / 'verdicts.json'}"
    )
    try:
        Bench(env, logs).manage("migrate", "--noinput")
        Bench(env, logs).manage("seed_builtin")
        _seed_memory_agent(Bench(env, logs), logs)
        for upstream, handler, tasks in _upstreams(selection):
            with _upstream(upstream, handler) as upstream_url:
                port = _free_port()
                bench = Bench({**env, "OPENAI_BASE_URL": upstream_url}, logs)
                bench.start(f"serve-{upstream}-{handler}", "serve", "--port", str(port))
                bench.wait_for_log(f"serve-{upstream}-{handler}", "maruntime serving", timeout=300)
                client = MaruntimeClient(f"http://127.0.0.1:{port}", upstream=upstream_url)
                try:
                    for model in (*MODELS, MEMORY_AGENT):
                        verdicts = []
                        for task in (t for t in tasks if t.name in TASKS_OF[model]):
                            verdict = client.run(
                                model, task.text, clarification_answer=CLARIFICATION_ANSWER
                            )
                            verdicts.append(verdict)
                            where = {"upstream": upstream, "handler": handler, "task": task.name}
                            details.append({**where, "summary": verdict.describe()})
                            print(f"{where}\n{verdict.describe()}", flush=True)
                        if verdicts:
                            rows.append(_row(upstream, handler, model, verdicts))
                            (logs / "verdicts.json").write_text(json.dumps(details, indent=2))
                            took = f" This run so far: {time.monotonic() - started:.0f} s."
                            merged = _merged(rows, RESULTS_DIR / "conformance.json")
                            report("conformance", merged, notes=notes + took)
                finally:
                    client.close()
                    bench.stop()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    sys.path.insert(0, str(ROOT))
    run()


if __name__ == "__main__":
    main()
