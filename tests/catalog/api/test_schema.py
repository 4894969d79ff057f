"""The OpenAPI schema of the admin API: valid, warning-free, and browsable offline."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db


def test_schema_endpoint_returns_valid_openapi_json(client):
    response = client.get("/api/admin/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    for path in (
        "/api/admin/tools/",
        "/api/admin/tools/{name}/",
        "/api/admin/tools/{tool_name}/versions/{version}/activate/",
        "/api/admin/templates/{template_name}/versions/",
        "/api/admin/pipelines/{pipeline_name}/versions/{version}/deactivate/",
        "/api/admin/sessions/{id}/",
        "/api/admin/instances/",
    ):
        assert path in paths, path
    assert "put" not in paths["/api/admin/tools/{tool_name}/versions/{version}/"]
    assert schema["components"]["securitySchemes"]["AdminApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


def test_schema_generation_has_no_warnings_or_errors():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(urlconf="maruntime.urls_admin").get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache)


def test_docs_page_and_its_assets_are_served_locally(client):
    page = client.get("/api/admin/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/admin/docs/assets/swagger-ui-bundle.js" in html
    assert "/api/admin/schema/" in html
    # no asset from a CDN (drf-spectacular's default is jsdelivr); a bare "cdn" could be
    # part of the page's random CSRF token
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    asset = client.get("/api/admin/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
