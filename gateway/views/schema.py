"""``GET /v1/openapi.json``: the schema of this surface (``gateway.openapi``).

Open without an API key, like OpenAI's published spec: it describes routes, not data.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from gateway.errors import error_response
from gateway.openapi import V1_SCHEMA


@csrf_exempt
async def openapi_json(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return error_response(
            405, f"Method {request.method} not allowed; use GET", code="method_not_allowed"
        )
    return JsonResponse(V1_SCHEMA)
