"""Data migrations of stored catalog content."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from catalog import services
from catalog.models import AgentTemplateVersion

pytestmark = pytest.mark.django_db

negotiated_output = importlib.import_module("catalog.migrations.0002_llm_policy_negotiated_output")


def test_stored_llm_policies_lose_streaming_and_negotiate_structured_output():
    template = services.template_upsert(name="old")
    version, _ = services.template_version_create(
        template=template, flavour="sgr", system_prompt="Old. {available_tools}"
    )
    explicit, _ = services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Explicit. {available_tools}",
        llm_policy={"structured_output": "json_object"},
    )
    old_policy = {**version.llm_policy, "streaming": True, "structured_output": "json_schema"}
    del old_policy["max_tokens_on_truncation"]
    AgentTemplateVersion.objects.filter(pk=version.pk).update(
        llm_policy=old_policy, content_hash="stale"
    )

    negotiated_output.forwards(apps, None)

    version.refresh_from_db()
    assert "streaming" not in version.llm_policy
    assert version.llm_policy["structured_output"] == "auto"
    assert version.llm_policy["max_tokens_on_truncation"] == 0
    # Equal content hashes equal again: re-creating the same version finds this one.
    again, created = services.template_version_create(
        template=template, flavour="sgr", system_prompt="Old. {available_tools}"
    )
    assert (again.pk, created) == (version.pk, False)
    explicit.refresh_from_db()
    assert explicit.llm_policy["structured_output"] == "json_object"
