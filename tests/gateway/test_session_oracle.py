"""Another tenant's session is indistinguishable from a missing one, on every route that
takes a session id, whatever the caller's key may or may not use: same status, same code,
same message but for the id."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from agents.models import Artifact
from agents.services import session_start
from gateway import services
from tests.catalog.api.conftest import make_template

pytestmark = pytest.mark.django_db(transaction=True)


def _sessions() -> tuple[str, str, str]:
    """A session of the caller's, and two of another tenant's: one on a model in the
    caller's key scope, one outside it; each with an artifact."""
    _, researcher = make_template("researcher")
    _, writer = make_template("writer")
    ids = []
    for version, owner in ((researcher, "acme"), (researcher, "globex"), (writer, "globex")):
        session, _ = session_start(template_version=version, task="t", owner=owner)
        Artifact.objects.create(session=session, name="a.md", content="secret")
        ids.append(str(session.pk))
    return ids[0], ids[1], ids[2]


def _artifact_of(session_id: str) -> str:
    return str(Artifact.objects.get(session_id=session_id).pk)


ROUTES = [
    ("GET", "/v1/sessions/{id}", None),
    ("GET", "/v1/sessions/{id}/events", None),
    ("GET", "/v1/sessions/{id}/artifacts/{artifact}", None),
    ("GET", "/v1/sessions?after={id}", None),
    ("POST", "/v1/sessions/{id}/cancel", None),
    ("POST", "/v1/sessions/{id}/approval", {"approve": True}),
    (
        "POST",
        "/v1/chat/completions",
        {"model": "{id}", "messages": [{"role": "user", "content": "go"}]},
    ),
]


def _fill(value, session_id: str, artifact: str):
    if isinstance(value, str):
        return value.replace("{id}", session_id).replace("{artifact}", artifact)
    if isinstance(value, dict):
        return {k: _fill(v, session_id, artifact) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, session_id, artifact) for v in value]
    return value


async def _ask(client, key: str, route, session_id: str, artifact: str):
    method, path, body = route
    url = _fill(path, session_id, artifact)
    headers = {"Authorization": f"Bearer {key}"}
    if method == "GET":
        response = await client.get(url, headers=headers)
    else:
        response = await client.post(
            url,
            _fill(body, session_id, artifact) or {},
            content_type="application/json",
            headers=headers,
        )
    error = response.json()["error"]
    return (
        response.status_code,
        error["code"],
        error["type"],
        error["param"],
        (error["message"].replace(session_id, "<id>").replace(artifact, "<artifact>")),
    )


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("scoped", [False, True], ids=["any-model", "scoped-key"])
async def test_another_tenants_session_answers_like_a_missing_one(
    async_client, settings, route, scoped
):
    settings.GATEWAY_AUTH = "keys"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # configured, never reached
    _, theirs_in_scope, theirs_out_of_scope = await sync_to_async(_sessions)()
    key = (
        await sync_to_async(services.api_key_create)(
            name="k", owner="acme", templates=["researcher"] if scoped else []
        )
    ).plain
    missing = str(uuid.uuid4())
    answers = {
        name: await _ask(async_client, key, route, session_id, artifact)
        for name, session_id, artifact in (
            ("missing", missing, str(uuid.uuid4())),
            ("theirs", theirs_in_scope, await sync_to_async(_artifact_of)(theirs_in_scope)),
            (
                "theirs, another model",
                theirs_out_of_scope,
                await sync_to_async(_artifact_of)(theirs_out_of_scope),
            ),
        )
    }
    assert answers["missing"][0] == 404, answers
    assert answers["theirs"] == answers["missing"], answers
    assert answers["theirs, another model"] == answers["missing"], answers
