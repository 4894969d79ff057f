"""Agent templates, pipelines and their versions through the admin API."""

import pytest

from catalog.models import AgentTemplate, AgentTemplateVersion, Pipeline, PipelineVersion
from tests.catalog.api.conftest import make_pipeline, make_template

pytestmark = pytest.mark.django_db

TEMPLATE_VERSION = {
    "flavour": "sgr_tool_calling",
    "system_prompt": "You research.",
    "tool_policy": {"required": ["final_answer"], "max_tools_in_prompt": 8},
    "rules": [{"name": "stop", "when": {"iteration_gte": 5}, "keep_only": ["final_answer"]}],
    "tags": ["research"],
}


def test_create_a_template_with_its_first_version(api):
    response = api.post(
        "/api/admin/templates/",
        {"name": "researcher", "description": "Finds things", "version": TEMPLATE_VERSION},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["active_version"] == 1
    version = AgentTemplateVersion.objects.get(template__name="researcher")
    assert version.tool_policy["max_tools_in_prompt"] == 8
    assert version.tool_policy["selection"] == "static"  # normalised by the service


def test_template_crud(api):
    assert api.post("/api/admin/templates/", {"name": "writer"}, format="json").status_code == 201
    response = api.patch("/api/admin/templates/writer/", {"description": "Writes"}, format="json")
    assert response.status_code == 200 and response.json()["description"] == "Writes"
    assert api.get("/api/admin/templates/writer/").json()["description"] == "Writes"
    assert api.delete("/api/admin/templates/writer/").status_code == 204
    assert not AgentTemplate.objects.exists()


def test_bad_policy_is_refused_with_nothing_written(api):
    bad = {**TEMPLATE_VERSION, "execution_policy": {"max_iterations": 0}}
    response = api.post(
        "/api/admin/templates/", {"name": "researcher", "version": bad}, format="json"
    )
    assert response.status_code == 400
    assert "execution_policy" in response.json()
    assert not AgentTemplate.objects.exists()


def test_unknown_policy_key_and_flavour_are_refused(api):
    make_template("researcher")
    url = "/api/admin/templates/researcher/versions/"
    response = api.post(url, {**TEMPLATE_VERSION, "llm_policy": {"modle": "x"}}, format="json")
    assert response.status_code == 400 and "llm_policy" in response.json()
    response = api.post(url, {**TEMPLATE_VERSION, "flavour": "magic"}, format="json")
    assert response.status_code == 400 and "flavour" in response.json()
    assert AgentTemplateVersion.objects.count() == 1


def test_template_name_taken_by_a_pipeline_is_a_conflict(api):
    make_template("researcher")
    make_pipeline("flow")
    response = api.post("/api/admin/templates/", {"name": "flow"}, format="json")
    assert response.status_code == 409
    response = api.post("/api/admin/pipelines/", {"name": "researcher"}, format="json")
    assert response.status_code == 400 and "already an agent template" in response.json()["name"][0]


def test_template_versions_activate_deactivate_and_immutability(api):
    template, _ = make_template("researcher")
    make_template("researcher", system_prompt="v2")
    url = "/api/admin/templates/researcher/versions/"
    assert api.post(f"{url}1/activate/").json()["is_active"]
    assert template.versions.get(is_active=True).version == 1
    assert not api.post(f"{url}1/deactivate/").json()["is_active"]
    assert not template.versions.filter(is_active=True).exists()
    response = api.patch(f"{url}1/", {"system_prompt": "x"}, format="json")
    assert response.status_code == 405 and "immutable" in response.json()["detail"]


def test_template_filters(api):
    make_template("alpha", tags=["research"])
    make_template("beta", flavour="tool_calling", provenance={"source_branch": "dev"})
    make_template("gamma", system_prompt="old")
    api.post("/api/admin/templates/gamma/versions/1/deactivate/")

    def names(query):
        response = api.get(f"/api/admin/templates/?{query}")
        assert response.status_code == 200, response.json()
        return [t["name"] for t in response.json()["results"]]

    assert names("flavour=tool_calling") == ["beta"]
    assert names("tags=research") == ["alpha"]
    assert names("source_branch=dev") == ["beta"]
    assert names("is_active=false") == ["gamma"]
    assert names("search=beta") == ["beta"]
    assert names("ordering=-name") == ["gamma", "beta", "alpha"]
    versions = api.get("/api/admin/templates/alpha/versions/?tags=research").json()
    assert [v["version"] for v in versions["results"]] == [1]


def test_delete_template_used_by_a_pipeline_is_refused(api):
    make_template("researcher")
    make_pipeline("flow", steps=[{"template": "researcher"}])
    api.post("/api/admin/templates/researcher/versions/1/deactivate/")
    response = api.delete("/api/admin/templates/researcher/")
    assert response.status_code == 409 and "pipeline" in response.json()["non_field_errors"][0]
    assert AgentTemplate.objects.filter(name="researcher").exists()


def test_create_a_pipeline_and_its_versions(api):
    make_template("researcher")
    make_template("writer")
    response = api.post(
        "/api/admin/pipelines/",
        {"name": "flow", "version": {"steps": [{"template": "researcher"}]}},
        format="json",
    )
    assert response.status_code == 201 and response.json()["active_version"] == 1
    url = "/api/admin/pipelines/flow/versions/"
    response = api.post(
        url,
        {"steps": [{"template": "researcher", "version": 1}, {"template": "writer"}]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["steps"] == [
        {"template": "researcher", "version": 1},
        {"template": "writer", "version": None},
    ]
    assert api.post(f"{url}1/activate/").json()["is_active"]
    assert Pipeline.objects.get().versions.get(is_active=True).version == 1
    assert not api.post(f"{url}1/deactivate/").json()["is_active"]
    assert api.put(f"{url}1/", {"steps": []}, format="json").status_code == 405

    assert [
        p["name"] for p in api.get("/api/admin/pipelines/?template=researcher").json()["results"]
    ] == []  # nothing active now
    api.post(f"{url}2/activate/")
    assert [
        p["name"] for p in api.get("/api/admin/pipelines/?template=writer").json()["results"]
    ] == ["flow"]
    assert [v["version"] for v in api.get(f"{url}?template=writer").json()["results"]] == [2]


@pytest.mark.parametrize(
    "steps",
    [[{"template": "ghost"}], [{"template": "researcher", "version": 7}]],
)
def test_unknown_template_in_a_step_is_refused_with_nothing_written(api, steps):
    make_template("researcher")
    response = api.post(
        "/api/admin/pipelines/", {"name": "flow", "version": {"steps": steps}}, format="json"
    )
    assert response.status_code == 400
    assert "unknown template" in response.json()["steps"][0]
    assert not Pipeline.objects.exists() and not PipelineVersion.objects.exists()


def test_pipeline_step_shapes_are_checked(api):
    make_pipeline_target = api.post("/api/admin/pipelines/", {"name": "flow"}, format="json")
    assert make_pipeline_target.status_code == 201
    url = "/api/admin/pipelines/flow/versions/"
    assert api.post(url, {"steps": []}, format="json").status_code == 400
    response = api.post(url, {"steps": [{"version": "x"}]}, format="json")
    assert response.status_code == 400 and "steps" in response.json()


def test_delete_template_with_sessions_is_a_conflict_not_a_500(api):
    from agents.models import Session

    _, version = make_template("researcher")
    Session.objects.create(template_version=version, task="t")
    api.post("/api/admin/templates/researcher/versions/1/deactivate/")
    response = api.delete("/api/admin/templates/researcher/")
    assert response.status_code == 409
    assert "Still referenced" in response.json()["non_field_errors"][0]
    assert AgentTemplate.objects.filter(name="researcher").exists()
