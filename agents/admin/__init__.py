"""The Django admin site for the runtime: read-only views of sessions (with their timeline,
``timeline.py``), runs, tool executions, artifacts, memory stores and agent instances. Only
the engine writes these rows, so the admin never adds, changes or deletes them; its one
write is a person's answer to a call waiting for approval, through
``services.session_approve``. Upstream
capabilities are the exception: an operator sets (and pins) what an endpoint accepts, through
``services.upstream_capability_set``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import IntegerField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import ngettext

from agents import services
from agents.admin.timeline import readable, session_timeline
from agents.exceptions import ApprovalNotPending
from agents.models import (
    AgentInstance,
    Artifact,
    MemoryEntry,
    Run,
    Session,
    ToolExecution,
    UpstreamCapability,
)
from agents.selectors import session_summary, usage_of


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RunInline(ReadOnlyMixin, admin.TabularInline):
    model = Run
    fields = readonly_fields = (
        "state",
        "outcome",
        "attempt",
        "lease_owner",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    )
    extra = 0
    show_change_link = True
    classes = ("collapse",)


@admin.register(Session)
class SessionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The list tells sessions apart by their task; a session's page is its summary and
    its timeline (``timeline.py``), read from the event log."""

    list_display = ("task_summary", "model_name", "state", "steps", "tokens", "created")
    list_filter = ("state", "template_version__template", "created_at")
    list_select_related = ("template_version__template", "pipeline_version__pipeline")
    search_fields = ("id", "owner", "task")
    date_hierarchy = "created_at"
    summary_fields = (
        "task_view",
        ("model_name", "state"),
        "owner",
        "parent",
        "result_view",
        "error",
        ("counters", "tokens_view"),
        "plan",
        ("created_at", "updated_at"),
    )
    inlines = (RunInline,)
    actions = ("approve_pending_calls", "decline_pending_calls")

    class Media:
        css = {"all": ("agents/admin/timeline.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        # The list reads two counters out of the context, not the whole conversation.
        return (
            super()
            .get_queryset(request)
            .annotate(
                steps_taken=Cast(KT("context__iteration"), IntegerField()),
                prompt_tokens=Cast(KT("context__usage__prompt"), IntegerField()),
                completion_tokens=Cast(KT("context__usage__completion"), IntegerField()),
            )
        )

    def get_fieldsets(self, request: HttpRequest, obj: Session | None = None) -> Any:
        """The summary above the timeline, without the rows this session leaves empty."""
        empty = {
            "owner": not (obj and obj.owner),
            "parent": not (obj and obj.parent_id),
            "result_view": not (obj and obj.result),
            "error": not (obj and obj.error),
            "plan": not (obj and (obj.context or {}).get("plan")),
        }
        shown = [f for f in self.summary_fields if not (isinstance(f, str) and empty.get(f))]
        return ((None, {"fields": shown}),)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Session | None = None,
    ) -> Any:
        if obj is not None:
            context["timeline"] = session_timeline(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Task", ordering="task")
    def task_summary(self, obj: Session) -> SafeString:
        return format_html(
            '{}<br><code class="tl-muted">{}</code>',
            Truncator(" ".join(obj.task.split())).chars(90),
            str(obj.pk)[:8],
        )

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj: Session) -> str:
        return date_format(localtime(obj.created_at), "M j, H:i:s")

    @admin.display(description="Task")
    def task_view(self, obj: Session) -> SafeString:
        return readable(obj.task)

    @admin.display(description="Model", ordering="template_version__template__name")
    def model_name(self, obj: Session) -> str:
        if obj.pipeline_version is not None:
            return f"{obj.pipeline_version.pipeline.name} (pipeline)"
        return f"{obj.template_version.template.name} v{obj.template_version.version}"

    @admin.display(description="Steps", ordering="steps_taken")
    def steps(self, obj: Session) -> int:
        return getattr(obj, "steps_taken", None) or 0

    @admin.display(description="Tokens")
    def tokens(self, obj: Session) -> str:
        total = (getattr(obj, "prompt_tokens", None) or 0) + (
            getattr(obj, "completion_tokens", None) or 0
        )
        return f"{total:,}" if total else "-"

    @admin.display(description="Parent session")
    def parent(self, obj: Session) -> SafeString | str:
        if obj.parent_id is None:
            return "-"
        url = reverse("admin:agents_session_change", args=[obj.parent_id])
        return format_html('<a href="{}">{}</a>', url, obj.parent_id)

    @admin.display(description="Result")
    def result_view(self, obj: Session) -> SafeString | str:
        return readable(obj.result) if obj.result else "-"

    @admin.display(description="Counters")
    def counters(self, obj: Session) -> str:
        counted = session_summary(obj)["counters"]
        return " · ".join(
            f"{count} {label}"
            for label, count in (
                (ngettext("step", "steps", counted["iteration"]), counted["iteration"]),
                (ngettext("tool call", "tool calls", counted["tool_calls"]), counted["tool_calls"]),
                (
                    ngettext("search", "searches", counted["searches_used"]),
                    counted["searches_used"],
                ),
                (
                    ngettext("clarification", "clarifications", counted["clarifications_used"]),
                    counted["clarifications_used"],
                ),
            )
        )

    @admin.display(description="Tokens")
    def tokens_view(self, obj: Session) -> str:
        usage = usage_of(obj)
        return (
            f"{usage['total_tokens']:,} ({usage['prompt_tokens']:,} prompt, "
            f"{usage['completion_tokens']:,} completion)"
        )

    @admin.display(description="Plan")
    def plan(self, obj: Session) -> SafeString | str:
        plan = (obj.context or {}).get("plan")
        return readable(plan) if plan else "-"

    @admin.action(description="Approve the pending tool call")
    def approve_pending_calls(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._answer(request, queryset, approved=True)

    @admin.action(description="Decline the pending tool call")
    def decline_pending_calls(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._answer(request, queryset, approved=False)

    def _answer(self, request: HttpRequest, queryset: QuerySet[Session], *, approved: bool) -> None:
        """Answer each selected session waiting for approval; the rest are left as they are."""
        answered, skipped = 0, 0
        for session_id in queryset.values_list("pk", flat=True):
            try:
                services.session_approve(
                    session_id=session_id,
                    approved=approved,
                    reason="answered in the admin site",
                    approver=f"admin:{request.user.get_username()}",
                )
            except ApprovalNotPending:
                skipped += 1
            else:
                answered += 1
        verb = "Approved" if approved else "Declined"
        self.message_user(
            request,
            ngettext(
                "%(verb)s the pending call of %(count)d session.",
                "%(verb)s the pending calls of %(count)d sessions.",
                answered,
            )
            % {"verb": verb, "count": answered},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%d session was not waiting for approval.",
                    "%d sessions were not waiting for approval.",
                    skipped,
                )
                % skipped,
                messages.WARNING,
            )


@admin.register(Run)
class RunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "session", "state", "outcome", "attempt", "lease_owner", "created_at")
    list_filter = ("state", "outcome", "cancel_requested")
    search_fields = ("session__id", "lease_owner")


@admin.register(ToolExecution)
class ToolExecutionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("tool_name", "session", "status", "duration_ms", "started_at")
    list_filter = ("status", "tool_name")
    search_fields = ("tool_name", "idempotency_key", "session__id")


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "session", "content_type", "created_at")
    list_filter = ("content_type",)
    search_fields = ("name", "session__id")


@admin.register(MemoryEntry)
class MemoryEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The memory stores' files; a store is ``session:<id>``, ``owner:<template>:<key>``
    or ``template:<name>`` (search by a session id to find its own)."""

    list_display = ("path", "kind", "size", "store", "session", "updated_at")
    list_filter = ("kind",)
    search_fields = ("store", "path", "session__id")
    fields = readonly_fields = (
        "store",
        "path",
        "kind",
        "size",
        "session",
        "content",
        "created_at",
        "updated_at",
    )


@admin.register(AgentInstance)
class AgentInstanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "worker", "template_version", "state", "sessions_served", "heartbeat_at")
    list_filter = ("state", "worker")
    search_fields = ("worker",)


@admin.register(UpstreamCapability)
class UpstreamCapabilityAdmin(admin.ModelAdmin):
    """What ``auto`` negotiation learned per endpoint and model; an operator may change it
    (pin it, so negotiation leaves it alone) or delete it (to have it learned again)."""

    list_display = ("base_url", "model", "structured_output", "tool_choice", "pinned", "updated_at")
    list_filter = ("pinned", "structured_output", "tool_choice")
    search_fields = ("base_url", "model")
    fields = ("base_url", "model", "structured_output", "tool_choice", "pinned", "evidence")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A row names one endpoint and model for good: another one is another row.
        return ("base_url", "model", "evidence") if obj is not None else ("evidence",)

    def save_model(
        self, request: HttpRequest, obj: UpstreamCapability, form: Any, change: bool
    ) -> None:
        saved = services.upstream_capability_set(
            base_url=obj.base_url,
            model=obj.model,
            structured_output=obj.structured_output,
            tool_choice=obj.tool_choice,
            pinned=obj.pinned,
        )
        obj.pk = saved.pk
