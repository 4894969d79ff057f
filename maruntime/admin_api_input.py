"""How the admin API reads its input (set as DRF's defaults in settings): bodies by
``StrictJSONParser`` (a JSON object, bounded depth, no NUL or lone surrogate:
``maruntime.json_input``), pages by ``BoundedLimitOffsetPagination`` (``limit`` capped,
``offset`` within what PostgreSQL can count to).

Kept apart from ``maruntime.admin_api``, which imports DRF's views: DRF imports the
classes named in its settings while its views module is still loading.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from maruntime.json_input import JSONRefused, parse_json_object

MAX_PAGE_SIZE = 500
MAX_OFFSET = 2**31 - 1


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with ``maruntime.json_input``'s rules; refusals are 400s."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return parse_json_object(stream.read())
        except JSONRefused as exc:
            raise exceptions.ParseError(str(exc)) from exc


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """``limit`` is capped at ``MAX_PAGE_SIZE``; an ``offset`` past ``MAX_OFFSET`` (which
    PostgreSQL could not take as a bigint) is a 400 rather than a database error."""

    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request: Request) -> int:
        offset = super().get_offset(request)
        if offset > MAX_OFFSET:
            raise exceptions.ValidationError({"offset": [f"offset is at most {MAX_OFFSET}"]})
        return offset
