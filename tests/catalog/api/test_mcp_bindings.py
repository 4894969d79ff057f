"""An mcp binding must name an MCP server configured in this process (``MCP_SERVERS``)."""

import pytest

from catalog import services
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import ToolVersion
from tests.catalog.api.conftest import SCHEMA

pytestmark = pytest.mark.django_db

VERSION = {
    "description": "Echo text",
    "input_schema": SCHEMA,
    "binding_kind": "mcp",
    "binding": {"server": "docs", "tool": "echo"},
}


def test_an_unconfigured_server_is_refused_with_the_configured_ones(api, settings):
    settings.MCP_SERVERS = {"wiki": {"url": "https://wiki.example/mcp"}, "crm": {"url": "x"}}

    response = api.post("/api/admin/tools/", {"name": "echo", "version": VERSION}, format="json")

    assert response.status_code == 400
    assert response.json()["binding"] == [
        "mcp binding names server 'docs', which is not configured in MCP_SERVERS; "
        "configured: crm, wiki"
    ]
    assert not ToolVersion.objects.exists()


def test_with_no_server_configured_every_mcp_binding_is_refused(settings):
    settings.MCP_SERVERS = {}
    with pytest.raises(InvalidCatalogEntry, match="configured: none"):
        services.validate_binding("mcp", {"server": "docs", "tool": "echo"})


def test_a_configured_server_is_accepted(api, settings):
    settings.MCP_SERVERS = {"docs": {"url": "https://docs.example/mcp"}}

    response = api.post("/api/admin/tools/", {"name": "echo", "version": VERSION}, format="json")

    assert response.status_code == 201
    version = ToolVersion.objects.get(tool__name="echo")
    assert version.binding == {"server": "docs", "tool": "echo"} and version.is_active
