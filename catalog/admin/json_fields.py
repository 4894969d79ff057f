"""The catalog's JSON form fields: shown indented in a monospace box, explained by help
that lists the keys a policy takes (read from its pydantic model, so it cannot drift), and
refused with messages that name the field and the key."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

import annotated_types
import pydantic
from django import forms
from django.forms.fields import InvalidJSONInput
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class JSONTextField(forms.JSONField):
    """A JSON form field whose box shows the value indented and whose parse errors say
    which field and where in the text."""

    widget = forms.Textarea(attrs={"class": "vLargeTextField json-field", "spellcheck": "false"})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, InvalidJSONInput):
            return str(value)
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)

    def to_python(self, value: Any) -> Any:
        if self.disabled or value in self.empty_values or not isinstance(value, str):
            return super().to_python(value)
        try:
            json.loads(value, cls=self.decoder)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                "%(field)s is not valid JSON: %(problem)s (line %(line)d, column %(column)d).",
                code="invalid",
                params={
                    "field": self.label,
                    "problem": exc.msg,
                    "line": exc.lineno,
                    "column": exc.colno,
                },
            ) from exc
        return super().to_python(value)


def _describe(annotation: Any) -> str:
    """A pydantic field's type in an operator's words: "integer", "list of text", ..."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + " | ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        kinds = [_describe(a) for a in args if a is not type(None)]
        return " or ".join(kinds) + (" or null" if type(None) in args else "")
    if origin is list:
        return f"list of {_describe(args[0])}" if args else "list"
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return "object: " + ", ".join(annotation.model_fields)
    names = {str: "text", int: "integer", float: "number", bool: "true/false", dict: "object"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _bounds(field: Any) -> str:
    marks = {
        annotated_types.Ge: ("≥", "ge"),
        annotated_types.Gt: (">", "gt"),
        annotated_types.Le: ("≤", "le"),
        annotated_types.Lt: ("<", "lt"),
    }
    found = []
    for item in field.metadata:
        for kind, (sign, attribute) in marks.items():
            if isinstance(item, kind):
                found.append(f"{sign} {getattr(item, attribute)}")
    return ", ".join(found)


def keys_help(model: type[pydantic.BaseModel], lead: str) -> SafeString:
    """``lead``, then one line per key the model takes: its type, bounds and default."""
    rows = []
    for name, field in model.model_fields.items():
        kind = _describe(field.annotation)
        bounds = _bounds(field)
        if field.is_required():
            default = "required"
        else:
            value = field.get_default(call_default_factory=True)
            if isinstance(value, pydantic.BaseModel):
                value = value.model_dump(exclude_defaults=True)
            default = "default " + json.dumps(value)
        rows.append((name, ", ".join(part for part in (kind, bounds, default) if part)))
    return format_html(
        '{}<ul class="json-keys">{}</ul>',
        lead,
        format_html_join("", "<li><code>{}</code>: {}</li>", rows),
    )


def validation_message(
    label: str, model: type[pydantic.BaseModel], exc: pydantic.ValidationError, where: str = ""
) -> str:
    """The first problem pydantic found, naming the field, the item and the key."""
    first = exc.errors()[0]
    path = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden" and len(first["loc"]) == 1:
        problem = f"unknown key {path!r}; it takes {', '.join(model.model_fields)}"
    else:
        problem = f"{path}: {first['msg']}" if path else str(first["msg"])
    return f"{label}: {where}{problem}"
