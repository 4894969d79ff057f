"""Tools and their versions through the admin API."""

import pytest

from catalog.models import Tool, ToolVersion
from tests.catalog.api.conftest import SCHEMA, make_template, make_tool

pytestmark = pytest.mark.django_db

VERSION = {
    "description": "Search the web",
    "input_schema": SCHEMA,
    "binding_kind": "http",
    "binding": {"url": "https://example.com/x"},
}


def test_create_a_tool_with_its_first_version(api):
    response = api.post(
        "/api/admin/tools/",
        {"name": "web.search", "type": "domain", "tags": ["web"], "version": VERSION},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "web.search" and body["active_version"] == 1
    assert body["version_count"] == 1 and body["tags"] == ["web"]
    version = ToolVersion.objects.get(tool__name="web.search")
    assert version.is_active and version.input_schema == SCHEMA


def test_create_without_a_version_then_retrieve_update_and_delete(api):
    assert api.post("/api/admin/tools/", {"name": "calc"}, format="json").status_code == 201
    detail = api.get("/api/admin/tools/calc/").json()
    assert detail["active_version"] is None and detail["type"] == "domain"

    response = api.patch("/api/admin/tools/calc/", {"category": "math"}, format="json")
    assert response.status_code == 200 and response.json()["category"] == "math"
    response = api.put("/api/admin/tools/calc/", {"type": "aux", "tags": ["b", "a"]}, format="json")
    assert response.status_code == 200
    tool = Tool.objects.get(name="calc")
    # Like DRF's own update, a PUT leaves optional fields it omits unchanged.
    assert (tool.type, tool.tags, tool.category) == ("aux", ["a", "b"], "math")

    assert api.delete("/api/admin/tools/calc/").status_code == 204
    assert not Tool.objects.filter(name="calc").exists()


def test_rename_is_refused(api):
    make_tool("search")
    response = api.patch("/api/admin/tools/search/", {"name": "other"}, format="json")
    assert response.status_code == 400 and "renamed" in response.json()["name"][0]


def test_update_cannot_smuggle_a_version(api):
    make_tool("search")
    response = api.patch("/api/admin/tools/search/", {"version": VERSION}, format="json")
    assert response.status_code == 400 and "version" in response.json()


def test_delete_is_refused_while_a_version_is_active(api):
    make_tool("search")
    response = api.delete("/api/admin/tools/search/")
    assert response.status_code == 409
    assert "deactivate" in response.json()["non_field_errors"][0]
    assert Tool.objects.filter(name="search").exists()


def test_duplicate_name_is_a_conflict_and_changes_nothing(api):
    make_tool("search", tags=["x"])
    response = api.post(
        "/api/admin/tools/", {"name": "search", "tags": ["y"], "version": VERSION}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"name": ["A tool named 'search' already exists"]}
    assert Tool.objects.get(name="search").tags == ["x"]
    assert ToolVersion.objects.count() == 1


@pytest.mark.parametrize("name", ["Bad Name", "1abc", "a/b", "", "x" * 101])
def test_bad_names_are_refused(api, name):
    response = api.post("/api/admin/tools/", {"name": name}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Tool.objects.exists()


def test_invalid_json_schema_leaves_nothing_behind(api):
    bad = {**VERSION, "input_schema": {"type": "object", "properties": {"q": {"type": 5}}}}
    response = api.post("/api/admin/tools/", {"name": "search", "version": bad}, format="json")
    assert response.status_code == 400
    assert "not valid JSON Schema" in response.json()["input_schema"][0]
    assert not Tool.objects.exists() and not ToolVersion.objects.exists()


def test_shape_errors_are_caught_before_the_service(api):
    bad = {**VERSION, "input_schema": ["not", "an", "object"], "binding": "nope"}
    response = api.post("/api/admin/tools/", {"name": "search", "version": bad}, format="json")
    assert response.status_code == 400
    errors = response.json()["version"]
    assert set(errors) == {"input_schema", "binding"}
    assert not Tool.objects.exists()


@pytest.mark.parametrize(
    ("kind", "binding", "message"),
    [
        ("python", {"entrypoint": "nope"}, "names no built-in implementation"),
        ("http", {"url": "ftp://x"}, "http(s)"),
        ("mcp", {"server": "s"}, "needs 'server' and 'tool'"),
        ("agent", {"template": "ghost"}, "unknown template"),
        ("unbound", {}, "unbound_reason"),
    ],
)
def test_unresolvable_bindings_are_refused(api, kind, binding, message):
    make_tool("search")
    response = api.post(
        "/api/admin/tools/search/versions/",
        {**VERSION, "binding_kind": kind, "binding": binding},
        format="json",
    )
    assert response.status_code == 400
    assert message in response.json()["binding"][0]
    assert ToolVersion.objects.count() == 1


def test_agent_binding_to_an_existing_template_is_accepted(api):
    make_template("researcher")
    make_tool("search")
    response = api.post(
        "/api/admin/tools/search/versions/",
        {**VERSION, "binding_kind": "agent", "binding": {"template": "researcher"}},
        format="json",
    )
    assert response.status_code == 201 and response.json()["binding_kind"] == "agent"


def test_new_version_activates_and_identical_content_returns_the_existing(api):
    make_tool("search")
    url = "/api/admin/tools/search/versions/"
    response = api.post(url, {**VERSION, "description": "v2"}, format="json")
    assert response.status_code == 201 and response.json()["version"] == 2
    assert response.json()["is_active"]
    again = api.post(url, {**VERSION, "description": "v2"}, format="json")
    assert again.status_code == 200 and again.json()["version"] == 2
    inactive = api.post(url, {**VERSION, "description": "v3", "activate": False}, format="json")
    assert inactive.status_code == 201 and not inactive.json()["is_active"]
    listing = api.get(url).json()
    assert [v["version"] for v in listing["results"]] == [3, 2, 1]
    assert api.get("/api/admin/tools/search/").json()["active_version"] == 2


def test_activate_and_deactivate_flip_the_active_version(api):
    tool, _ = make_tool("search")
    make_tool("search", description="second")
    response = api.post("/api/admin/tools/search/versions/1/activate/")
    assert response.status_code == 200 and response.json()["is_active"]
    assert list(tool.versions.filter(is_active=True).values_list("version", flat=True)) == [1]

    response = api.post("/api/admin/tools/search/versions/1/deactivate/")
    assert response.status_code == 200 and not response.json()["is_active"]
    assert not tool.versions.filter(is_active=True).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_versions_are_immutable(api, method):
    make_tool("search")
    response = getattr(api, method)(
        "/api/admin/tools/search/versions/1/", {"description": "changed"}, format="json"
    )
    assert response.status_code == 405
    assert "immutable" in response.json()["detail"]
    assert ToolVersion.objects.get().description == "Search things"


def test_unknown_tool_and_version_are_404(api):
    assert api.get("/api/admin/tools/ghost/").status_code == 404
    assert api.get("/api/admin/tools/ghost/versions/").status_code == 404
    make_tool("search")
    assert api.get("/api/admin/tools/search/versions/9/").status_code == 404
    assert api.post("/api/admin/tools/search/versions/9/activate/").status_code == 404


def test_filters_search_and_ordering(api):
    make_tool("alpha", tags=["web", "fast"], type="aux", description="Fetch pages")
    make_tool("beta", tags=["web"], description="Find papers")
    _, gamma = make_tool("gamma", tags=["math"], description="Compute sums")
    make_tool("delta", description="Other", provenance={"source_branch": "main"})
    api.post(f"/api/admin/tools/gamma/versions/{gamma.version}/deactivate/")

    def names(query):
        response = api.get(f"/api/admin/tools/?{query}")
        assert response.status_code == 200, response.json()
        return [tool["name"] for tool in response.json()["results"]]

    assert names("type=aux") == ["alpha"]
    assert names("tags=web") == ["alpha", "beta"]
    assert names("tags=web,fast") == ["alpha"]
    assert names("is_active=false") == ["gamma"]
    assert names("is_active=true") == ["alpha", "beta", "delta"]
    assert names("binding_kind=http") == ["alpha", "beta", "delta"]
    assert names("binding_kind=mcp") == []
    assert names("source_branch=main") == ["delta"]
    assert names("search=papers") == ["beta"]
    assert names("ordering=-name") == ["gamma", "delta", "beta", "alpha"]
    assert names("") == ["alpha", "beta", "delta", "gamma"], names("")
    assert names("limit=2&offset=1") == ["beta", "delta"]
    assert api.get("/api/admin/tools/?type=bogus").status_code == 400


def test_version_filters(api):
    make_tool("search")
    make_tool("search", description="second", risk_level="high")
    url = "/api/admin/tools/search/versions/"
    assert [v["version"] for v in api.get(f"{url}?is_active=false").json()["results"]] == [1]
    assert [v["version"] for v in api.get(f"{url}?risk_level=high").json()["results"]] == [2]
    assert [v["version"] for v in api.get(f"{url}?ordering=version").json()["results"]] == [1, 2]


def test_version_count_is_not_inflated_by_search(api):
    make_tool("search", description="web one")
    make_tool("search", description="web two")
    body = api.get("/api/admin/tools/?search=web").json()
    assert body["count"] == 1
    assert body["results"][0]["version_count"] == 2
