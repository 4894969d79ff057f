"""``/v1/openapi.json`` against the routes and the real answers, and a bounded property-based
fuzz run over ``/v1`` and the admin API, reads and writes (schemathesis): no generated input
yields a 5xx, the answers match the schemas, and a refused request stores nothing.

Bounded and reproducible: a fixed seed, derandomized Hypothesis, a few fuzzed examples per
operation, and schemathesis's coverage phase (its boundary values and wrong types, several
hundred requests for one catalog version's body) only on ``/v1``: about 50 s of the suite on
a loaded two-core machine."""

from __future__ import annotations

import json
import re
from typing import Any, cast

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agents.models import UpstreamCapability
from gateway.openapi import V1_SCHEMA
from gateway.urls import urlpatterns
from gateway.views.base import ApiView
from tests.catalog.api.conftest import ADMIN_KEY, make_pipeline, make_template, make_tool

SEED = 20_260_501
# The apps whose tables a refused request must leave as they were.
APPS = ("catalog", "agents", "gateway", "retrieval")
# The rows the admin fuzz run's path parameters name half of the time, so that updates,
# deletes and (de)activations reach real rows, not only 404s.
FUZZ_NAME = "fuzzed"  # a tool's and a template's
FUZZ_PIPELINE = "fuzzed-flow"  # a template and a pipeline cannot share a name
FUZZ_CAPABILITY_ID = 424_242  # far above the sequence: a POST in the run never collides


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _config(*, coverage: bool) -> SchemathesisConfig:
    names = {"dictionary": "names", "probability": 0.5}
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "phases": {"coverage": {"enabled": coverage}},
            "dictionaries": {
                "names": {"values": [FUZZ_NAME, FUZZ_PIPELINE]},
                "versions": {"values": [1]},
                "ids": {"values": [FUZZ_CAPABILITY_ID]},
            },
            "parameters": {
                "path.name": names,
                "path.tool_name": names,
                "path.template_name": names,
                "path.pipeline_name": names,
                "path.version": {"dictionary": "versions", "probability": 0.5},
                "path.id": {"dictionary": "ids", "probability": 0.5},
            },
        }
    )


def _stored() -> dict[str, str]:
    """A digest of every row of the apps' tables, by table: equal digests, same rows."""
    tables = [
        model._meta.db_table for app in APPS for model in apps.get_app_config(app).get_models()
    ]
    sql = " UNION ALL ".join(
        f"SELECT '{table}', md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
        f"FROM {connection.ops.quote_name(table)} r"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def _call_and_validate(case: Any, checks: list[Any], **kwargs: Any) -> None:
    """Call, validate the answer, and hold a refusal (4xx) to having written nothing."""
    before = _stored()
    response = case.call(**kwargs)
    case.validate_response(response, checks=checks)
    if 400 <= response.status_code < 500:
        assert _stored() == before, (
            f"{case.operation.label} answered {response.status_code} but changed rows"
        )


V1_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# DRF's schema documents each route's success answer only (its refusals are DRF's own
# format, undocumented), so the status itself is not held to the schema there.
ADMIN_CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]

APP = get_wsgi_application()
v1 = schemathesis.openapi.from_dict(V1_SCHEMA, config=_config(coverage=True))
v1.app = APP
admin_api = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True))),
    config=_config(coverage=False),
)
admin_api.app = APP
# The schema route only renders this schema (several seconds a call): nothing to fuzz.
admin_operations = admin_api.exclude(path="/api/admin/schema/")


def _route_template(route: str) -> str:
    """``v1/sessions/<str:session_id>`` -> ``/v1/sessions/{session_id}``."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


@pytest.mark.django_db
def test_the_served_schema_is_the_one_written(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == V1_SCHEMA


def test_the_schema_documents_every_route_and_method_and_nothing_else():
    routed = {
        (_route_template(str(pattern.pattern)), method.lower())
        for pattern in urlpatterns
        for method in cast(ApiView, pattern.callback).methods
        if method != "HEAD"  # a GET without its body: OpenAPI documents the GET
    }
    documented = {(path, method) for path, item in V1_SCHEMA["paths"].items() for method in item}
    assert routed - documented == set(), "routes missing from gateway/openapi.py"
    assert documented - routed == set(), "documented operations no route serves"


# /v1 views reach the database from their own threads: the rows they see must be committed.
@pytest.mark.django_db(transaction=True)
@v1.parametrize()
@_fuzz(5)
def test_v1_answers_match_its_schema_and_never_5xx(case):
    _call_and_validate(case, V1_CHECKS)


@pytest.fixture
def connection_kept_across_requests():
    """What Django's test client does: the WSGI handler would close the test's database
    connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzed_rows():
    """One tool, template and pipeline (each with a version 1) and one upstream capability
    under the names and id the fuzz run's path parameters use."""
    make_tool(FUZZ_NAME)
    make_template(FUZZ_NAME)
    make_pipeline(FUZZ_PIPELINE, steps=[{"template": FUZZ_NAME}])
    UpstreamCapability.objects.create(
        id=FUZZ_CAPABILITY_ID, base_url="http://upstream.test/v1", model="m"
    )


# The admin API's views are sync and run in the test's thread and transaction (rolled back
# after each operation, which keeps the run quick).
@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept_across_requests", "fuzzed_rows")
@admin_operations.parametrize()
@_fuzz(5)
def test_the_admin_api_never_answers_5xx(case, settings):
    settings.ADMIN_API_KEY = ADMIN_KEY
    _call_and_validate(case, ADMIN_CHECKS, headers={"X-API-Key": ADMIN_KEY})
