"""The Django admin site: every page renders, versions stay immutable, actions go through
the services."""

import json

import pytest
from django.contrib import admin
from django.urls import reverse

from agents.models import AgentInstance, Artifact, Run, Session, SessionEvent, ToolExecution
from catalog import services
from catalog.admin import schema_parameters
from catalog.models import AgentTemplateVersion, PipelineVersion, Tool, ToolVersion
from catalog.signals import catalog_changed
from tests.catalog.api.conftest import SCHEMA, make_pipeline, make_template, make_tool

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(db):
    tool, version = make_tool("search", tags=["web"])
    unbound = services.tool_upsert(name="legacy")
    services.tool_version_create(
        tool=unbound,
        description="Old thing",
        input_schema={"type": "object", "properties": {}},
        binding_kind="unbound",
        unbound_reason="needs a licence we do not have",
    )
    _, template_version = make_template("researcher")
    make_pipeline("flow")
    session = Session.objects.create(template_version=template_version, task="find cats")
    run = Run.objects.create(session=session, state="finished")
    for seq in (2, 1):
        SessionEvent.objects.create(
            session=session,
            seq=seq,
            type="reasoning",
            run=run,
            payload={"note": f"event number {seq}"},
        )
    ToolExecution.objects.create(session=session, run=run, idempotency_key="k", tool_name="x")
    Artifact.objects.create(session=session, name="report.md", content="# r")
    AgentInstance.objects.create(worker="w1", template_version=template_version)
    return {"tool": tool, "version": version, "session": session}


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_admin_page_renders(admin_client, rows):
    checked = 0
    for model, model_admin in admin.site._registry.items():
        response = admin_client.get(_url(model, "changelist"))
        assert response.status_code == 200, model
        request = response.wsgi_request
        if model_admin.has_add_permission(request):
            assert admin_client.get(_url(model, "add")).status_code == 200, model
        for obj in model._default_manager.all()[:3]:
            response = admin_client.get(_url(model, "change", obj.pk))
            assert response.status_code == 200, (model, obj.pk)
            checked += 1
    assert checked >= 12


def test_changelist_search_and_filters_render(admin_client, rows):
    url = _url(Tool, "changelist")
    for query in (
        "q=search",
        "type__exact=domain",
        "tag=web",
        "has_active=yes",
        "versions__binding_kind__exact=unbound",
    ):
        assert admin_client.get(f"{url}?{query}").status_code == 200, query
    response = admin_client.get(f"{url}?tag=web")
    assert b"search" in response.content and b"legacy" not in response.content
    versions = _url(ToolVersion, "changelist")
    response = admin_client.get(f"{versions}?binding_kind__exact=unbound")
    assert b"needs a licence" in response.content


def test_version_page_is_read_only_with_a_parameter_table(admin_client, rows):
    response = admin_client.get(_url(ToolVersion, "change", rows["version"].pk))
    html = response.content.decode()
    assert "<td><code>q</code></td><td>string</td><td>yes</td><td>What to look for</td>" in html
    assert "minLength=1" in html
    assert 'name="description"' not in html  # no editable inputs
    assert f"?from={rows['version'].pk}" in html


def test_schema_parameters_rows():
    rows = schema_parameters(SCHEMA)
    assert rows[0] == {
        "name": "q",
        "type": "string",
        "required": "yes",
        "description": "What to look for",
        "constraints": "minLength=1",
    }
    assert rows[1]["required"] == "no" and rows[1]["constraints"] == "maximum=10"
    assert schema_parameters({"type": "object"}) == []


def test_add_form_prefills_from_a_version(admin_client, rows):
    response = admin_client.get(f"{_url(ToolVersion, 'add')}?from={rows['version'].pk}")
    assert response.status_code == 200
    assert response.context["adminform"].form.initial["description"] == "Search things"


def _version_post(tool, **changes):
    data = {
        "tool": tool.pk,
        "description": "Search better",
        "long_description": "",
        "input_schema": json.dumps(SCHEMA),
        "binding_kind": "http",
        "binding": json.dumps({"url": "https://example.com/y"}),
        "unbound_reason": "",
        "risk_level": "low",
        "limits": "{}",
        "activate": "on",
    }
    data.update(changes)
    return data


def test_adding_a_version_creates_it_through_the_service(admin_client, rows):
    tool = rows["tool"]
    response = admin_client.post(_url(ToolVersion, "add"), _version_post(tool))
    assert response.status_code == 302
    new = tool.versions.get(version=2)
    assert new.is_active and new.content_hash
    assert not tool.versions.get(version=1).is_active


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"input_schema": json.dumps({"type": "object", "properties": {"q": {"type": 5}}})},
            "not valid JSON Schema",
        ),
        (
            {"binding_kind": "python", "binding": json.dumps({"entrypoint": "nope"})},
            "names no built-in implementation",
        ),
        ({"binding_kind": "unbound", "binding": "{}"}, "unbound_reason"),
    ],
)
def test_refused_version_shows_a_form_error_and_writes_nothing(
    admin_client, rows, changes, message
):
    response = admin_client.post(_url(ToolVersion, "add"), _version_post(rows["tool"], **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert rows["tool"].versions.count() == 1


def test_adding_a_pipeline_version_with_an_unknown_template_is_refused(admin_client, rows):
    pipeline = PipelineVersion.objects.get().pipeline
    response = admin_client.post(
        _url(PipelineVersion, "add"),
        {"pipeline": pipeline.pk, "steps": json.dumps([{"template": "ghost"}]), "activate": "on"},
    )
    assert response.status_code == 200
    assert "Steps: step 1 names an unknown template &#x27;ghost&#x27;." in response.content.decode()
    assert pipeline.versions.count() == 1


def test_adding_a_template_version_checks_policies(admin_client, rows):
    template = AgentTemplateVersion.objects.get().template
    data = {
        "template": template.pk,
        "flavour": "sgr",
        "system_prompt": "New prompt",
        "initial_user_prompt": "",
        "clarification_prompt": "",
        "llm_policy": json.dumps({"temperature": 9}),
        "execution_policy": "{}",
        "tool_policy": "{}",
        "rules": "[]",
        "capabilities": "",
        "tags": "",
        "activate": "on",
    }
    response = admin_client.post(_url(AgentTemplateVersion, "add"), data)
    assert response.status_code == 200 and "temperature" in response.content.decode()
    data["llm_policy"] = "{}"
    assert admin_client.post(_url(AgentTemplateVersion, "add"), data).status_code == 302
    assert template.versions.get(is_active=True).system_prompt == "New prompt"


def test_adding_and_updating_a_tool_goes_through_upsert(admin_client, rows):
    data = {
        "name": "calc",
        "type": "aux",
        "aliases": "",
        "category": "math",
        "tags": "a,b",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    assert admin_client.post(_url(Tool, "add"), data).status_code == 302
    calc = Tool.objects.get(name="calc")
    assert calc.tags == ["a", "b"]
    data["category"] = "numbers"
    assert admin_client.post(_url(Tool, "change", calc.pk), data).status_code == 302
    calc.refresh_from_db()
    assert calc.category == "numbers" and calc.name == "calc"


def test_activate_deactivate_and_reindex_actions(
    admin_client, rows, django_capture_on_commit_callbacks
):
    tool = rows["tool"]
    second, _ = services.tool_version_create(
        tool=tool,
        description="v2",
        input_schema=SCHEMA,
        binding_kind="http",
        binding={"url": "https://example.com/x"},
    )
    url = _url(ToolVersion, "changelist")
    first = rows["version"]
    response = admin_client.post(
        url, {"action": "activate", "_selected_action": [first.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Activated 1 version."]
    assert tool.versions.get(is_active=True).pk == first.pk
    response = admin_client.post(
        url, {"action": "activate", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert b"at most one version of each" in response.content
    assert tool.versions.get(is_active=True).pk == first.pk

    response = admin_client.post(
        url, {"action": "deactivate", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Deactivated 1 version."]
    assert not tool.versions.filter(is_active=True).exists()

    received = []

    def receiver(sender, kind, name, **kwargs):
        received.append((kind, name))

    catalog_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                _url(Tool, "changelist"),
                {"action": "reindex", "_selected_action": [tool.pk]},
                follow=True,
            )
    finally:
        catalog_changed.disconnect(receiver)
    assert received == [("tool", "search")]
    assert [str(m) for m in response.context["messages"]] == ["Reindex requested for 1 entry."]


def test_versions_and_runtime_rows_cannot_be_changed_or_deleted(admin_client, rows):
    version = rows["version"]
    response = admin_client.post(
        _url(ToolVersion, "change", version.pk), {"description": "changed"}
    )
    assert response.status_code == 403
    assert admin_client.get(_url(ToolVersion, "delete", version.pk)).status_code == 403
    session = rows["session"]
    assert admin_client.get(_url(Session, "add")).status_code == 403
    assert admin_client.get(_url(Session, "delete", session.pk)).status_code == 403
    version.refresh_from_db()
    assert version.description == "Search things"


def test_session_page_shows_the_timeline_in_order(admin_client, rows):
    html = admin_client.get(_url(Session, "change", rows["session"].pk)).content.decode()
    timeline = html[html.index('class="timeline"') :]
    assert timeline.index("event number 1") < timeline.index("event number 2")


def test_an_entry_page_leads_to_adding_a_version(admin_client, rows):
    tool = rows["tool"]
    html = admin_client.get(_url(Tool, "change", tool.pk)).content.decode()
    assert f'href="{_url(ToolVersion, "add")}?from={rows["version"].pk}"' in html
    assert "Add a version" in html

    data = {"name": "calc", "type": "aux", "aliases": "", "category": "", "tags": ""}
    data |= {"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0"}
    response = admin_client.post(_url(Tool, "add"), data, follow=True)
    calc = Tool.objects.get(name="calc")
    assert response.redirect_chain[-1][0] == f"{_url(ToolVersion, 'add')}?tool={calc.pk}"
    assert response.context["adminform"].form.initial["tool"] == str(calc.pk)
    assert [str(m) for m in response.context["messages"]] == [
        "The tool “calc” was added; now add its first version."
    ]


def test_json_fields_explain_their_keys_and_show_json_indented(admin_client, rows):
    tool_form = admin_client.get(f"{_url(ToolVersion, 'add')}?from={rows['version'].pk}")
    html = tool_form.content.decode()
    assert "<code>timeout_seconds</code>: number or null, &gt; 0, ≤ 3600, default null" in html
    assert '<code>http</code>: {"url": "https://...", "method": "POST" (default)' in html
    assert "{\n  &quot;type&quot;: &quot;object&quot;," in html  # the schema, indented

    html = admin_client.get(_url(AgentTemplateVersion, "add")).content.decode()
    assert "<code>max_iterations</code>: integer, ≥ 1, ≤ 200, default 10" in html
    assert (
        "<code>selection</code>: one of &quot;static&quot; | &quot;retrieval_per_step&quot;" in html
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "llm_policy",
            '{"temperature": 0.3,}',
            "LLM policy is not valid JSON: Expecting property name enclosed in double quotes "
            "(line 1, column 21).",
        ),
        (
            "llm_policy",
            '{"tmperature": 0.3}',
            "LLM policy: unknown key &#x27;tmperature&#x27;; it takes base_url, api_key_ref,",
        ),
        (
            "execution_policy",
            '{"max_iterations": 0}',
            "Execution policy: max_iterations: Input should be greater than or equal to 1",
        ),
        ("rules", '{"exclude": []}', "Rules: must be a JSON list of rules."),
        (
            "rules",
            '[{"exclude": ["x"]}, {"when": {"iteration": 3}}]',
            "Rules: rule 2: when.iteration: Extra inputs are not permitted",
        ),
    ],
)
def test_a_refused_json_field_is_named_in_its_message(admin_client, rows, field, value, message):
    template = AgentTemplateVersion.objects.get().template
    data = {
        "template": template.pk,
        "flavour": "sgr",
        "system_prompt": "New prompt",
        "llm_policy": "{}",
        "execution_policy": "{}",
        "tool_policy": "{}",
        "rules": "[]",
        field: value,
    }
    response = admin_client.post(_url(AgentTemplateVersion, "add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert template.versions.count() == 1


def test_a_skill_written_in_the_admin_is_what_use_skill_reads(admin_client):
    from catalog.models import Skill
    from catalog.selectors import skill_get

    response = admin_client.post(
        _url(Skill, "add"),
        {"name": "haiku", "description": "Answer in a haiku.", "content": "Five, seven, five."},
    )
    assert response.status_code == 302
    skill = Skill.objects.get(name="haiku")
    admin_client.post(
        _url(Skill, "change", skill.pk),
        {"description": "Answer in a haiku.", "content": "Five, seven, five syllables."},
    )
    edited = skill_get("Haiku")
    assert edited is not None and edited.content == "Five, seven, five syllables."
    assert (
        admin_client.post(_url(Skill, "add"), {"name": "Bad Name", "description": "x"}).status_code
        == 200
    )
    assert not Skill.objects.filter(description="x").exists()
