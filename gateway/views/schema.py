"""``GET /v1/openapi.json``: the schema of this surface (``gateway.openapi``).

Open without an API key, like OpenAI's published spec: it describes routes, not data.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from gateway.caller import Caller
from gateway.openapi import V1_SCHEMA
from gateway.views.base import api_view


@api_view("GET", "HEAD", public=True)
async def openapi_json(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    return JsonResponse(V1_SCHEMA)
