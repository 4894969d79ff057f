"""Read-only renderings for the catalog admin: JSON blocks, input-schema parameter tables,
and the links to a new version (from an entry's page, or from an immutable version)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Model
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

SCHEMA_KEYWORDS_SHOWN_ELSEWHERE = {"type", "description", "title"}


def pretty_json(value: Any) -> SafeString:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def _type_of(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array" and isinstance(prop.get("items"), dict):
        return f"array of {_type_of(prop['items'])}"
    if kind:
        return str(kind)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if isinstance(prop.get(combinator), list):
            return " | ".join(_type_of(p) for p in prop[combinator] if isinstance(p, dict))
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    return "any"


def schema_parameters(schema: Any) -> list[dict[str, str]]:
    """One row per top-level property of an object schema: name, type, required,
    description and the remaining keywords as constraints."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    required = set(schema.get("required") or [])
    rows = []
    for name, prop in schema["properties"].items():
        prop = prop if isinstance(prop, dict) else {}
        constraints = {
            key: value
            for key, value in prop.items()
            if key not in SCHEMA_KEYWORDS_SHOWN_ELSEWHERE and key != "items"
        }
        rows.append(
            {
                "name": str(name),
                "type": _type_of(prop),
                "required": "yes" if name in required else "no",
                "description": str(prop.get("description") or prop.get("title") or ""),
                "constraints": ", ".join(
                    f"{key}={json.dumps(value, ensure_ascii=False)}"
                    for key, value in constraints.items()
                ),
            }
        )
    return rows


def render_input_schema(schema: Any) -> SafeString:
    rows = schema_parameters(schema)
    if not rows:
        table = format_html("<p>{}</p>", "No parameters.")
    else:
        table = format_html(
            "<table><thead><tr><th>name</th><th>type</th><th>required</th>"
            "<th>description</th><th>constraints</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (r["name"], r["type"], r["required"], r["description"], r["constraints"])
                    for r in rows
                ),
            ),
        )
    return format_html("{}<details><summary>JSON</summary>{}</details>", table, pretty_json(schema))


def add_version_url(entry: Any) -> str:
    """The add form of a new version of ``entry`` (a tool, template or pipeline): filled in
    from its active (else latest) version, or naming the entry when it has none yet."""
    versions = entry.versions
    meta = versions.model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
    current = versions.order_by("-is_active", "-version").first()
    if current is not None:
        return f"{url}?from={current.pk}"
    return f"{url}?{versions.field.name}={entry.pk}"


def new_version_link(obj: Model | None) -> SafeString | str:
    if obj is None or obj.pk is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add")
    return format_html(
        '<a class="button" href="{}?from={}">New version from this one</a>', url, obj.pk
    )
