"""``/v1/models``: the active agent templates and pipelines, as OpenAI models (and the
upstream's models when passthrough is on)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponseBase

from catalog.exceptions import CatalogNotFound
from catalog.selectors import active_pipeline_versions, active_template_versions, model_resolve
from gateway.caller import Caller
from gateway.passthrough import upstream_models
from gateway.views.base import api_view, json_response
from maruntime.asyncdb import run_sync

if TYPE_CHECKING:
    from catalog.models import AgentTemplateVersion, PipelineVersion


def _template_model(version: AgentTemplateVersion) -> dict[str, Any]:
    return {
        "id": version.template.name,
        "object": "model",
        "created": int(version.created_at.timestamp()),
        "owned_by": "maruntime",
        "kind": "agent",
        "version": version.version,
        "flavour": version.flavour,
        "description": version.template.description,
    }


def _pipeline_model(version: PipelineVersion) -> dict[str, Any]:
    return {
        "id": version.pipeline.name,
        "object": "model",
        "created": int(version.created_at.timestamp()),
        "owned_by": "maruntime",
        "kind": "pipeline",
        "version": version.version,
        "steps": [step["template"] for step in version.steps],
        "description": version.pipeline.description,
    }


def _models() -> list[dict[str, Any]]:
    return [_template_model(v) for v in active_template_versions()] + [
        _pipeline_model(v) for v in active_pipeline_versions()
    ]


def _model(name: str) -> dict[str, Any]:
    resolved = model_resolve(name)
    if resolved.template_version is not None:
        return _template_model(resolved.template_version)
    assert resolved.pipeline_version is not None
    return _pipeline_model(resolved.pipeline_version)


@api_view("GET")
async def models_list(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    """Agents and pipelines, then the upstream's own models when passthrough is on (a
    catalog name shadows an upstream model of the same name)."""
    models = await run_sync(_models)()
    ours = {m["id"] for m in models}
    models += [m for m in await upstream_models() if m["id"] not in ours]
    allowed = [m for m in models if caller.may_use(m["id"])]
    return json_response({"object": "list", "data": allowed})


@api_view("GET")
async def model_detail(request: HttpRequest, caller: Caller, model: str) -> HttpResponseBase:
    caller.require_model(model)
    try:
        return json_response(await run_sync(_model)(model))
    except CatalogNotFound:
        for listed in await upstream_models():
            if listed["id"] == model:
                return json_response(listed)
        raise
