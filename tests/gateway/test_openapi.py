"""``/v1/openapi.json`` against the real answers, and a bounded property-based fuzz run
over ``/v1`` and the admin API (schemathesis): no generated input yields a 5xx, and every
``/v1`` answer matches the schema (status, content type, body).

Bounded in time: a fixed number of examples per operation (10 on /v1, 5 on the admin API),
derandomized so a failure reproduces."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.openapi import V1_SCHEMA
from tests.catalog.api.conftest import ADMIN_KEY


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


V1_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

APP = get_wsgi_application()
v1 = schemathesis.openapi.from_dict(V1_SCHEMA)
v1.app = APP
admin_api = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
)
admin_api.app = APP
# The admin API's reads (lists with their filters, paging and search; details): its writes'
# bodies are catalog versions whose generation alone took minutes per run.
admin_reads = admin_api.include(method="GET")


@pytest.mark.django_db
def test_the_served_schema_is_the_one_written(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == V1_SCHEMA


# /v1 views reach the database from their own threads: the rows they see must be committed.
@pytest.mark.django_db(transaction=True)
@v1.parametrize()
@_fuzz(10)
def test_v1_answers_match_its_schema_and_never_5xx(case):
    case.call_and_validate(checks=V1_CHECKS)


@pytest.fixture
def connection_kept_across_requests():
    """What Django's test client does: the WSGI handler would close the test's database
    connection at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# The admin API's views are sync and run in the test's thread and transaction (rolled back
# after each operation, which keeps the run quick).
@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept_across_requests")
@admin_reads.parametrize()
@_fuzz(5)
def test_the_admin_api_never_answers_5xx(case, settings):
    """DRF's schema lists each route's success answer only, so only the status class is
    checked here; the admin API's refusals are DRF's own format."""
    settings.ADMIN_API_KEY = ADMIN_KEY
    case.call_and_validate(headers={"X-API-Key": ADMIN_KEY}, checks=[not_a_server_error])
