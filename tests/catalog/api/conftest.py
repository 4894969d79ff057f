"""Builders for the admin API tests: an authenticated client and small catalog rows."""

import pytest
from rest_framework.test import APIClient

from catalog import services

ADMIN_KEY = "test-admin-key-0123456789"
SCHEMA = {
    "type": "object",
    "properties": {
        "q": {"type": "string", "description": "What to look for", "minLength": 1},
        "limit": {"type": "integer", "maximum": 10},
    },
    "required": ["q"],
}


@pytest.fixture
def api(settings):
    settings.ADMIN_API_KEY = ADMIN_KEY
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=ADMIN_KEY)
    return client


def make_tool(name="search", *, description="Search things", tags=(), type="domain", **kwargs):
    tool = services.tool_upsert(name=name, type=type, tags=list(tags))
    version, _ = services.tool_version_create(
        tool=tool,
        description=description,
        input_schema=kwargs.pop("input_schema", SCHEMA),
        binding_kind="http",
        binding={"url": "https://example.com/x"},
        **kwargs,
    )
    return tool, version


def make_template(name="researcher", *, system_prompt="You research.", **kwargs):
    template = services.template_upsert(name=name, description=f"{name} agent")
    version, _ = services.template_version_create(
        template=template,
        flavour=kwargs.pop("flavour", "sgr"),
        system_prompt=system_prompt,
        **kwargs,
    )
    return template, version


def make_pipeline(name="research-then-write", *, steps=None):
    pipeline = services.pipeline_upsert(name=name, description="two steps")
    version, _ = services.pipeline_version_create(
        pipeline=pipeline, steps=steps or [{"template": "researcher"}]
    )
    return pipeline, version
