"""A tool class's fields as an OpenAI-function JSON Schema: annotations and ``Field(...)``
calls are read statically, and repository models and enums they name are resolved."""

from __future__ import annotations

import ast
import inspect
from typing import Any

from catalog.seeding.ast_values import MISSING, dotted, jsonable, literal, string_constant
from catalog.seeding.source_index import ClassInfo, SourceIndex

TOOL_ROOTS = frozenset({"BaseTool", "MCPBaseTool", "SystemBaseTool"})
MODEL_ROOTS = frozenset({"BaseModel", *TOOL_ROOTS})
ENUM_ROOTS = frozenset({"Enum", "StrEnum", "IntEnum"})
CLASS_VARS = frozenset({"tool_name", "description", "model_config"})

_SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "dict": {"type": "object"},
    "Dict": {"type": "object"},
    "list": {"type": "array"},
    "List": {"type": "array"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "Path": {"type": "string"},
    "HttpUrl": {"type": "string", "format": "uri"},
    "AnyUrl": {"type": "string", "format": "uri"},
    "AnyHttpUrl": {"type": "string", "format": "uri"},
    "Any": {},
    "None": {"type": "null"},
}
_ARRAYS = frozenset({"list", "List", "Sequence", "set", "Set", "tuple", "Tuple", "Iterable"})
_MAPPINGS = frozenset({"dict", "Dict", "Mapping"})
_OPTIONALS = frozenset({"Optional"})
_UNIONS = frozenset({"Union"})


class SchemaBuilder:
    """Annotations and ``Field(...)`` calls -> JSON Schema, resolving repository models."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self._stack: list[int] = []

    def model_schema(self, cls: ClassInfo) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        if id(cls) in self._stack:
            return {"type": "object"}
        self._stack.append(id(cls))
        try:
            for name, (schema, has_default) in self._fields(cls).items():
                properties[name] = schema
                if not has_default:
                    required.append(name)
        finally:
            self._stack.pop()
        return {"type": "object", "properties": properties, "required": required}

    def _fields(self, cls: ClassInfo) -> dict[str, tuple[dict[str, Any], bool]]:
        fields: dict[str, tuple[dict[str, Any], bool]] = {}
        # Bases first, so that a subclass's own declaration of a field wins (MRO order).
        for base in reversed(cls.bases):
            parent = self.index.resolve(base, near=cls)
            if parent is not None and parent.name not in MODEL_ROOTS:
                fields.update(self._fields(parent))
        for stmt in cls.node.body:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            name = stmt.target.id
            if name.startswith("_") or name in CLASS_VARS or _is_classvar(stmt.annotation):
                continue
            fields[name] = self.field_schema(stmt.annotation, stmt.value, cls)
        return fields

    def field_schema(
        self, annotation: ast.expr, value: ast.expr | None, cls: ClassInfo
    ) -> tuple[dict[str, Any], bool]:
        """A field's schema and whether it has a default (is optional)."""
        annotation, metadata = _unwrap_annotated(annotation)
        schema = self.type_schema(annotation, cls)
        has_default = False
        options: dict[str, ast.expr] = {}
        for call in metadata:
            options.update(_field_options(call))
        if isinstance(value, ast.Call) and dotted(value.func).rsplit(".", 1)[-1] == "Field":
            options.update(_field_options(value))
        elif value is not None:
            options["default"] = value
        if "default" in options:
            default = options["default"]
            if not (isinstance(default, ast.Constant) and default.value is Ellipsis):
                has_default = True
                known, resolved = self._default_value(default, cls)
                if known:
                    schema["default"] = resolved
        if "default_factory" in options:
            has_default = True
            factory = dotted(options["default_factory"])
            if factory in {"list", "set", "tuple"}:
                schema["default"] = []
            elif factory == "dict":
                schema["default"] = {}
        description = string_constant(options.get("description")) or string_constant(
            options.get("title")
        )
        if description:
            schema["description"] = inspect.cleandoc(description)
        _apply_constraints(schema, options)
        return schema, has_default

    def type_schema(self, node: ast.expr | None, cls: ClassInfo) -> dict[str, Any]:
        if node is None:
            return {}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return {}
            return self.type_schema(parsed, cls)
        if isinstance(node, ast.Constant) and node.value is None:
            return {"type": "null"}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return _union([self.type_schema(node.left, cls), self.type_schema(node.right, cls)])
        if isinstance(node, ast.Name | ast.Attribute):
            return self._named_schema(dotted(node), cls)
        if isinstance(node, ast.Subscript):
            return self._generic_schema(node, cls)
        if isinstance(node, ast.Call):
            return self._constrained_schema(node, cls)
        return {}

    def _named_schema(self, dotted: str, cls: ClassInfo) -> dict[str, Any]:
        name = dotted.rsplit(".", 1)[-1]
        if name in _SCALARS:
            return dict(_SCALARS[name])
        target = self.index.resolve(name, near=cls)
        if target is None:
            return {}
        if self.index.derives_from(target, ENUM_ROOTS):
            values = list(_enum_members(target).values())
            return {**_literal_type(values), "enum": values}
        if self.index.derives_from(target, MODEL_ROOTS):
            schema = self.model_schema(target)
            if target.docstring:
                schema["description"] = target.docstring
            return schema
        return {}

    def _generic_schema(self, node: ast.Subscript, cls: ClassInfo) -> dict[str, Any]:
        origin = dotted(node.value).rsplit(".", 1)[-1]
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if origin in _ARRAYS:
            items = self.type_schema(args[0], cls) if args else {}
            return {"type": "array", "items": items} if items else {"type": "array"}
        if origin in _MAPPINGS:
            values = self.type_schema(args[1], cls) if len(args) > 1 else {}
            return {"type": "object", **({"additionalProperties": values} if values else {})}
        if origin in _OPTIONALS:
            return _union([self.type_schema(args[0], cls), {"type": "null"}])
        if origin in _UNIONS:
            return _union([self.type_schema(arg, cls) for arg in args])
        if origin == "Literal":
            members = [self._literal_member(arg, cls) for arg in args]
            if None in members:
                rest = [v for v in members if v is not None]
                return _union([{**_literal_type(rest), "enum": rest}, {"type": "null"}])
            return {**_literal_type(members), "enum": members}
        if origin == "Annotated":
            return self.field_schema(node, None, cls)[0]
        if origin in {"ClassVar", "Final"}:
            return self.type_schema(args[0], cls) if args else {}
        return self._named_schema(origin, cls)

    def _constrained_schema(self, node: ast.Call, cls: ClassInfo) -> dict[str, Any]:
        func = dotted(node.func).rsplit(".", 1)[-1]
        base: dict[str, Any] | None = {
            "constr": {"type": "string"},
            "conint": {"type": "integer"},
            "confloat": {"type": "number"},
            "conlist": {"type": "array"},
            "conset": {"type": "array"},
        }.get(func)
        if base is None:
            return {}
        schema: dict[str, Any] = dict(base)
        if func in {"conlist", "conset"}:
            item = node.args[0] if node.args else _keyword(node, "item_type")
            if item is not None:
                schema["items"] = self.type_schema(item, cls)
        _apply_constraints(schema, {kw.arg: kw.value for kw in node.keywords if kw.arg})
        return schema

    def _literal_member(self, node: ast.expr, cls: ClassInfo) -> Any:
        if isinstance(node, ast.Attribute):
            enum_cls = self.index.resolve(dotted(node.value), near=cls)
            if enum_cls is not None:
                members = _enum_members(enum_cls)
                if node.attr in members:
                    return members[node.attr]
            return node.attr.lower()
        return literal(node)

    def _default_value(self, node: ast.expr, cls: ClassInfo) -> tuple[bool, Any]:
        if isinstance(node, ast.Attribute):
            enum_cls = self.index.resolve(dotted(node.value), near=cls)
            if enum_cls is not None and node.attr in (members := _enum_members(enum_cls)):
                return True, members[node.attr]
            return False, None
        value = literal(node, missing=MISSING)
        if value is MISSING:
            return False, None
        return True, jsonable(value)


def _is_classvar(annotation: ast.expr) -> bool:
    return dotted(annotation).rsplit(".", 1)[-1] == "ClassVar"


def _unwrap_annotated(annotation: ast.expr) -> tuple[ast.expr, list[ast.Call]]:
    """``Annotated[X, Field(...), ...]`` -> (X, [Field calls])."""
    if (
        isinstance(annotation, ast.Subscript)
        and dotted(annotation.value).rsplit(".", 1)[-1] == "Annotated"
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        inner, *extra = annotation.slice.elts
        calls = [
            e
            for e in extra
            if isinstance(e, ast.Call) and dotted(e.func).rsplit(".", 1)[-1] == "Field"
        ]
        inner, nested = _unwrap_annotated(inner)
        return inner, nested + calls
    return annotation, []


def _field_options(call: ast.Call) -> dict[str, ast.expr]:
    options: dict[str, ast.expr] = {}
    if call.args:
        options["default"] = call.args[0]
    for kw in call.keywords:
        if kw.arg:
            options[kw.arg] = kw.value
    return options


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _apply_constraints(schema: dict[str, Any], options: dict[str, ast.expr]) -> None:
    is_array = schema.get("type") == "array" or any(
        branch.get("type") == "array" for branch in schema.get("anyOf", [])
    )
    mapping = {
        "ge": "minimum",
        "le": "maximum",
        "gt": "exclusiveMinimum",
        "lt": "exclusiveMaximum",
        "multiple_of": "multipleOf",
        "min_length": "minItems" if is_array else "minLength",
        "max_length": "maxItems" if is_array else "maxLength",
        "min_items": "minItems",
        "max_items": "maxItems",
        "pattern": "pattern",
    }
    for option, keyword in mapping.items():
        if option in options:
            value = literal(options[option], missing=MISSING)
            if value is not MISSING and value is not None:
                schema[keyword] = value


def _union(branches: list[dict[str, Any]]) -> dict[str, Any]:
    flat: list[dict[str, Any]] = []
    for branch in branches:
        items = branch["anyOf"] if set(branch) == {"anyOf"} else [branch]
        flat.extend(item for item in items if item not in flat)
    if any(item == {} for item in flat):
        return {}
    return flat[0] if len(flat) == 1 else {"anyOf": flat}


def _literal_type(values: list[Any]) -> dict[str, Any]:
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float):
            kinds.add("number")
        elif isinstance(value, str):
            kinds.add("string")
        else:
            return {}
    return {"type": kinds.pop()} if len(kinds) == 1 else {}


def _enum_members(cls: ClassInfo) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for stmt in cls.node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                value = literal(stmt.value, missing=MISSING)
                if value is MISSING and dotted(stmt.value).endswith("auto"):
                    value = target.id.lower()
                if value is not MISSING:
                    members[target.id] = jsonable(value)
    return members
