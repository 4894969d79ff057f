"""``/v1/tools`` and the search routes, through Django's async test client."""

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from catalog import services
from gateway.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def catalog_with_tools():
    call_command("seed_builtin", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tool = services.tool_upsert(name="weather_forecast", type="domain", tags=["weather"])
    services.tool_version_create(
        tool=tool,
        description="Get the weather forecast for a city: temperature, rain and wind.",
        input_schema={"type": "object", "properties": {"city": {"type": "string"}}},
        binding_kind="http",
        binding={"url": "https://tools.example.com/weather"},
        risk_level="medium",
    )


async def test_tools_lists_active_bound_tools(async_client, catalog_with_tools):
    response = await async_client.get("/v1/tools")
    assert response.status_code == 200
    names = [t["name"] for t in response.json()["data"]]
    assert "weather_forecast" in names and "final_answer" in names
    assert "web_search" not in names  # unbound without a search API key


async def test_tool_search_explains_its_hits(async_client, catalog_with_tools):
    response = await async_client.get(
        "/v1/tools/search", {"q": "what is the weather forecast for tomorrow", "k": 3}
    )
    assert response.status_code == 200
    hits = response.json()["data"]
    assert hits[0]["name"] == "weather_forecast"
    assert hits[0]["explanation"] and hits[0]["vector_rank"] == 1


async def test_tool_search_filters_by_type_and_tag(async_client, catalog_with_tools):
    response = await async_client.get(
        "/v1/tools/search", {"q": "weather forecast", "type": "system"}
    )
    assert "weather_forecast" not in [h["name"] for h in response.json()["data"]]
    response = await async_client.get(
        "/v1/tools/search", {"q": "weather forecast", "tag": "weather"}
    )
    assert [h["name"] for h in response.json()["data"]] == ["weather_forecast"]


async def test_unrelated_query_finds_nothing(async_client, catalog_with_tools):
    response = await async_client.get("/v1/tools/search", {"q": "xylophone quantum banana"})
    assert response.json()["data"] == []


async def test_agent_search_finds_templates(async_client, catalog_with_tools):
    response = await async_client.get("/v1/agents/search", {"q": "research a question on the web"})
    names = [h["name"] for h in response.json()["data"]]
    assert "sgr_agent" in names


@pytest.mark.parametrize("params", [{}, {"q": " "}, {"q": "x", "k": "0"}, {"q": "x", "k": "many"}])
async def test_bad_search_parameters_are_400(async_client, params):
    response = await async_client.get("/v1/tools/search", params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] in ("q", "k")


async def test_a_keys_tool_scope_filters_the_list_and_the_search(
    async_client, settings, catalog_with_tools
):
    settings.GATEWAY_AUTH = "keys"
    low_risk = await sync_to_async(api_key_create)(name="low", tool_risk_ceiling="low")
    no_weather = await sync_to_async(api_key_create)(name="deny", tools_deny=["weather_forecast"])
    only_weather = await sync_to_async(api_key_create)(
        name="allow", tools_allow=["weather_forecast"]
    )

    def names(response):
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["data"]]

    for issued, expected_in_list in ((low_risk, False), (no_weather, False), (only_weather, True)):
        headers = {"Authorization": f"Bearer {issued.plain}"}
        listed = names(await async_client.get("/v1/tools", headers=headers))
        found = names(
            await async_client.get("/v1/tools/search", {"q": "weather forecast"}, headers=headers)
        )
        assert ("weather_forecast" in listed) is expected_in_list
        assert ("weather_forecast" in found) is expected_in_list
    allowed = names(
        await async_client.get(
            "/v1/tools", headers={"Authorization": f"Bearer {only_weather.plain}"}
        )
    )
    assert allowed == ["weather_forecast"]
