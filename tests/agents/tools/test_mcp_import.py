"""``import_mcp_tools`` against a real MCP server on loopback."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from catalog import services
from catalog.models import Tool, ToolVersion
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.django_db


def _import(*args: str) -> str:
    out = io.StringIO()
    call_command("import_mcp_tools", *args, stdout=out)
    return out.getvalue()


def test_the_servers_tools_become_bound_catalog_tools(mcp_servers):
    out = _import("--server", "fake")

    assert "MCP server fake: 3 tools" in out and "created 3" in out
    echo = ToolVersion.objects.select_related("tool").get(tool__name="fake.echo")
    assert echo.is_active and echo.version == 1
    assert echo.binding_kind == "mcp" and echo.binding == {"server": "fake", "tool": "echo"}
    assert echo.description == "Echo the text back, prefixed with 'echo: '."
    assert echo.input_schema["properties"]["text"]["type"] == "string"
    assert echo.input_schema["required"] == ["text"]
    assert (echo.source_repo, echo.source_class) == ("mcp:fake", "echo")
    assert echo.risk_level == "medium" and echo.tool.tags == ["fake", "mcp"]
    assert sorted(Tool.objects.values_list("name", flat=True)) == [
        "fake.echo",
        "fake.fail",
        "fake.measure",
    ]


def test_a_second_import_changes_nothing(mcp_servers):
    _import("--server", "fake")
    tools_before = list(Tool.objects.values_list("name", "updated_at"))

    out = _import("--server", "fake")

    assert "created 0, new version 0, unchanged 3" in out and "Nothing changed" in out
    assert ToolVersion.objects.count() == 3
    assert list(Tool.objects.values_list("name", "updated_at")) == tools_before


def test_a_changed_tool_gets_a_new_version_that_keeps_the_curated_policy(mcp_servers):
    _import("--server", "fake")
    echo = ToolVersion.objects.get(tool__name="fake.echo")
    services.tool_version_create(
        tool=echo.tool,
        description="Curated description",
        input_schema=echo.input_schema,
        binding_kind="mcp",
        binding=echo.binding,
        risk_level="low",
        requires_approval=True,
        limits={"timeout_seconds": 5},
    )

    out = _import("--server", "fake")

    assert "new version 1" in out and "+ tool fake.echo@3" in out
    latest = ToolVersion.objects.get(tool__name="fake.echo", is_active=True)
    assert latest.version == 3 and latest.description.startswith("Echo the text back")
    assert (latest.risk_level, latest.requires_approval) == ("low", True)
    assert latest.limits == {"timeout_seconds": 5}


def test_prefix_no_activate_and_dry_run(mcp_servers):
    out = _import("--server", "fake", "--prefix", "tools", "--dry-run")
    assert out.startswith("DRY RUN") and "created 3" in out
    assert not Tool.objects.exists()

    out = _import("--server", "fake", "--prefix", "tools", "--no-activate")

    assert "stored inactive" in out
    assert set(Tool.objects.values_list("name", flat=True)) == {
        "tools.echo",
        "tools.fail",
        "tools.measure",
    }
    assert not ToolVersion.objects.filter(is_active=True).exists()


def test_a_tool_of_that_name_bound_elsewhere_is_left_alone(mcp_servers):
    tool = services.tool_upsert(name="fake.echo")
    services.tool_version_create(
        tool=tool,
        description="Our own echo",
        input_schema={"type": "object"},
        binding_kind="http",
        binding={"url": "https://echo.example"},
    )

    out = _import("--server", "fake")

    assert "warning: echo: fake.echo exists with another binding; skipped" in out
    assert list(ToolVersion.objects.filter(tool=tool).values_list("binding_kind", flat=True)) == [
        "http"
    ]


def test_unknown_or_unreachable_servers_are_command_errors_and_write_nothing(mcp_servers, settings):
    with pytest.raises(CommandError, match=r"'nope' is not configured .*\(configured: fake\)"):
        _import("--server", "nope")

    settings.MCP_SERVERS = {"down": {"url": f"http://127.0.0.1:{free_port()}/mcp"}}
    with pytest.raises(CommandError, match="MCP server 'down' failed: All connection attempts"):
        _import("--server", "down")

    with pytest.raises(CommandError, match="Invalid name 'Bad'"):
        _import("--server", "down", "--prefix", "Bad")
    assert not Tool.objects.exists()
