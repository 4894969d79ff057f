"""Admin API search: the hybrid search the engine uses, with each hit's explanation, so
curators can check how tools and agents will be found (only active, bound entries)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maruntime.admin_api import AdminAPIMixin
from retrieval.selectors import agent_search, tool_search


class SearchQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(trim_whitespace=True)
    k = serializers.IntegerField(min_value=1, max_value=50, default=10)
    type = serializers.ListField(child=serializers.CharField(), required=False)
    tag = serializers.ListField(child=serializers.CharField(), required=False)
    threshold = serializers.FloatField(min_value=-1, max_value=1, required=False)


class SearchHitSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    kind = serializers.CharField()
    version_id = serializers.IntegerField()
    score = serializers.FloatField()
    vector_rank = serializers.IntegerField(allow_null=True)
    text_rank = serializers.IntegerField(allow_null=True)
    vector_similarity = serializers.FloatField()
    explanation = serializers.CharField()


def _query(request: Request) -> dict[str, Any]:
    data = {
        "q": request.query_params.get("q", ""),
        "k": request.query_params.get("k", 10),
        "type": request.query_params.getlist("type"),
        "tag": request.query_params.getlist("tag"),
    }
    if "threshold" in request.query_params:
        data["threshold"] = request.query_params["threshold"]
    query = SearchQuerySerializer(data=data)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


PARAMETERS = [
    OpenApiParameter("q", str, required=True),
    OpenApiParameter("k", int),
    OpenApiParameter("tag", str, many=True),
    OpenApiParameter("threshold", float),
]


class ToolSearchView(AdminAPIMixin, APIView):
    @extend_schema(
        parameters=[*PARAMETERS, OpenApiParameter("type", str, many=True)],
        responses=SearchHitSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = _query(request)
        hits = tool_search(
            query=query["q"],
            k=query["k"],
            types=query["type"] or None,
            tags=query["tag"] or None,
            threshold=query.get("threshold"),
        )
        return Response(SearchHitSerializer(hits, many=True).data)


class AgentSearchView(AdminAPIMixin, APIView):
    @extend_schema(parameters=PARAMETERS, responses=SearchHitSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = _query(request)
        hits = agent_search(
            query=query["q"],
            k=query["k"],
            tags=query["tag"] or None,
            threshold=query.get("threshold"),
        )
        return Response(SearchHitSerializer(hits, many=True).data)
