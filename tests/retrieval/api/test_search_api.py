import pytest
from rest_framework.test import APIClient

from catalog import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(settings):
    settings.ADMIN_API_KEY = "admin-secret"
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="admin-secret")
    return client


@pytest.fixture
def weather_tool():
    tool = services.tool_upsert(name="weather_forecast", tags=["weather"])
    services.tool_version_create(
        tool=tool,
        description="Get the weather forecast for a city: temperature, rain and wind.",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
        binding_kind="http",
        binding={"url": "https://tools.example.com/weather"},
    )


def test_tool_search_returns_explained_hits(api, weather_tool):
    response = api.get("/api/admin/search/tools/", {"q": "weather forecast in Paris"})
    assert response.status_code == 200
    assert response.json()[0]["name"] == "weather_forecast"
    assert "vector #1" in response.json()[0]["explanation"]


def test_search_needs_a_query_and_the_admin_key(api, weather_tool):
    assert api.get("/api/admin/search/tools/").status_code == 400
    assert api.get("/api/admin/search/tools/", {"q": "x", "k": 0}).json()["k"]
    assert APIClient().get("/api/admin/search/agents/", {"q": "x"}).status_code == 401
