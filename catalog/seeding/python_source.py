"""Reading sgr-agent-core's tool and agent classes and its definition calls with ``ast``.

The repository's code is never imported or executed: classes are found by name across all
parsed files, inheritance is followed by base-class names, and field annotations and
``Field(...)`` calls are turned into an OpenAI-function JSON Schema statically.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

TOOL_ROOTS = frozenset({"BaseTool", "MCPBaseTool", "SystemBaseTool"})
MCP_ROOT = "MCPBaseTool"
# Helpers that derive from a tool root but are never offered as tools.
ABSTRACT_TOOLS = TOOL_ROOTS | {"NextStepToolStub", "ToolNameSelectorStub"}
AGENT_ROOT = "BaseAgent"
MODEL_ROOTS = frozenset({"BaseModel", *TOOL_ROOTS})
ENUM_ROOTS = frozenset({"Enum", "StrEnum", "IntEnum"})
CLASS_VARS = frozenset({"tool_name", "description", "model_config"})
LIMIT_NAMES = ("max_iterations", "max_clarifications", "max_searches")

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


@dataclass
class ClassInfo:
    name: str
    path: str
    node: ast.ClassDef
    bases: list[str]
    module: ModuleInfo

    @property
    def base_names(self) -> list[str]:
        return [base.rsplit(".", 1)[-1] for base in self.bases]

    def class_var(self, name: str) -> ast.expr | None:
        """The value assigned to a class-level name in this class's own body."""
        for stmt in self.node.body:
            if isinstance(stmt, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    return stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            ):
                return stmt.value
        return None

    @property
    def docstring(self) -> str:
        return inspect.cleandoc(ast.get_docstring(self.node, clean=False) or "")


@dataclass
class ModuleInfo:
    path: str
    tree: ast.Module
    assignments: dict[str, ast.expr] = field(default_factory=dict)


@dataclass
class ToolClass:
    class_name: str
    path: str
    tool_name: str | None
    description: str
    input_schema: dict[str, Any]
    is_mcp: bool

    @property
    def folder(self) -> str:
        return PurePosixPath(self.path).parent.name


@dataclass
class AgentClass:
    class_name: str
    path: str
    registry_name: str | None
    docstring: str
    limits: dict[str, int]
    is_abstract: bool


@dataclass
class DefinitionCall:
    """``AgentDefinition(...)``'s keyword arguments, statically evaluated."""

    path: str
    values: dict[str, Any]


class SourceIndex:
    """Every class and module-level assignment of one branch's python files."""

    def __init__(self) -> None:
        self.modules: list[ModuleInfo] = []
        self.classes: dict[str, list[ClassInfo]] = {}
        self.globals: dict[str, list[tuple[ModuleInfo, ast.expr]]] = {}

    def add_module(self, path: str, text: str) -> None:
        """Parse one file; raises SyntaxError (callers report and skip it)."""
        tree = ast.parse(text, filename=path)
        module = ModuleInfo(path=path, tree=tree)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        module.assignments[target.id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                module.assignments[stmt.target.id] = stmt.value
        for name, value in module.assignments.items():
            self.globals.setdefault(name, []).append((module, value))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                info = ClassInfo(
                    name=node.name,
                    path=path,
                    node=node,
                    bases=[_dotted(b) for b in node.bases if _dotted(b)],
                    module=module,
                )
                self.classes.setdefault(node.name, []).append(info)
        self.modules.append(module)

    # --- the class graph ---------------------------------------------------------------

    def resolve(self, name: str, near: ClassInfo | None = None) -> ClassInfo | None:
        """The repository class called ``name`` (same file first, then the shallowest)."""
        candidates = self.classes.get(name.rsplit(".", 1)[-1], [])
        if near is not None:
            for candidate in candidates:
                if candidate.path == near.path and candidate is not near:
                    return candidate
        others = [c for c in candidates if c is not near]
        return min(others, key=lambda c: path_rank(c.path), default=None)

    def lineage(self, cls: ClassInfo) -> Iterator[str]:
        """All base names reachable from ``cls``, breadth first, each once."""
        seen: set[int] = {id(cls)}
        queue: list[tuple[ClassInfo, str]] = [(cls, b) for b in cls.bases]
        while queue:
            owner, base = queue.pop(0)
            yield base.rsplit(".", 1)[-1]
            parent = self.resolve(base, near=owner)
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                queue.extend((parent, b) for b in parent.bases)

    def ancestors(self, cls: ClassInfo) -> Iterator[ClassInfo]:
        """Repository classes ``cls`` derives from, nearest first."""
        seen: set[int] = {id(cls)}
        queue: list[ClassInfo] = [cls]
        while queue:
            current = queue.pop(0)
            for base in current.bases:
                parent = self.resolve(base, near=current)
                if parent is not None and id(parent) not in seen:
                    seen.add(id(parent))
                    yield parent
                    queue.append(parent)

    def derives_from(self, cls: ClassInfo, roots: frozenset[str]) -> bool:
        return any(name in roots for name in self.lineage(cls))

    def all_classes(self) -> Iterator[ClassInfo]:
        for infos in self.classes.values():
            yield from infos

    # --- tools -------------------------------------------------------------------------

    def tool_classes(self) -> list[ToolClass]:
        found = []
        for cls in self.all_classes():
            if _is_helper(cls) or not self.derives_from(cls, TOOL_ROOTS):
                continue
            found.append(
                ToolClass(
                    class_name=cls.name,
                    path=cls.path,
                    tool_name=_string(cls.class_var("tool_name")),
                    description=self._tool_description(cls),
                    input_schema=SchemaBuilder(self).model_schema(cls),
                    is_mcp=self.derives_from(cls, frozenset({MCP_ROOT})),
                )
            )
        return sorted(found, key=lambda t: (path_rank(t.path), t.class_name))

    def _tool_description(self, cls: ClassInfo) -> str:
        own = _string(cls.class_var("description"))
        if own:
            return inspect.cleandoc(own)
        if cls.docstring:
            return cls.docstring
        for parent in self.ancestors(cls):
            if parent.name in ABSTRACT_TOOLS:
                continue
            inherited = _string(parent.class_var("description")) or parent.docstring
            if inherited:
                return inspect.cleandoc(inherited)
        return ""

    # --- agents ------------------------------------------------------------------------

    def agent_classes(self) -> list[AgentClass]:
        found = []
        for cls in self.all_classes():
            if cls.name == AGENT_ROOT or not self.derives_from(cls, frozenset({AGENT_ROOT})):
                continue
            chain = [cls, *self.ancestors(cls)]
            found.append(
                AgentClass(
                    class_name=cls.name,
                    path=cls.path,
                    # Its own ``name`` only: subclasses inheriting one would all collide.
                    registry_name=_string(cls.class_var("name")),
                    docstring=cls.docstring,
                    limits=self._limit_defaults(chain),
                    is_abstract=cls.name.startswith("Base") or "ABC" in cls.base_names,
                )
            )
        return sorted(found, key=lambda a: (path_rank(a.path), a.class_name))

    def agent_lineage(self, name: str) -> list[str]:
        """``name`` and the names of the repository classes it derives from, nearest
        first; ``name`` may be a class name or an agent's registry ``name``."""
        cls = self.resolve(name)
        if cls is None:
            cls = next(
                (c for c in self.all_classes() if _string(c.class_var("name")) == name), None
            )
        if cls is None:
            return [name.rsplit(".", 1)[-1]]
        return [cls.name, *self.lineage(cls)]

    @staticmethod
    def _limit_defaults(chain: list[ClassInfo]) -> dict[str, int]:
        """Limit defaults from the nearest ``__init__`` keyword defaults (0.2.x agents)."""
        limits: dict[str, int] = {}
        for cls in chain:
            for stmt in cls.node.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    stmt.name == "__init__"
                ):
                    for name, default in _arg_defaults(stmt.args):
                        if name in LIMIT_NAMES and name not in limits:
                            value = _literal(default)
                            if isinstance(value, int) and not isinstance(value, bool):
                                limits[name] = value
        return limits

    # --- definition calls --------------------------------------------------------------

    def definition_calls(self) -> list[DefinitionCall]:
        calls = []
        for module in self.modules:
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call):
                    continue
                func = _dotted(node.func).rsplit(".", 1)[-1]
                if not func.endswith("AgentDefinition"):
                    continue
                values = {
                    kw.arg: self.static_value(kw.value, module)
                    for kw in node.keywords
                    if kw.arg is not None
                }
                if isinstance(values.get("name"), str):
                    calls.append(DefinitionCall(path=module.path, values=values))
        return calls

    def static_value(self, node: ast.expr, module: ModuleInfo, depth: int = 0) -> Any:
        """What an expression evaluates to, as far as it can be known without running it:
        literals, module constants, class references (as their dotted names), ``Path``s and
        config-object calls (as dicts of their keyword arguments)."""
        if depth > 20:
            return None
        again = lambda n: self.static_value(n, module, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items: list[Any] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    value = again(element.value)
                    items.extend(value if isinstance(value, list) else [])
                else:
                    items.append(again(element))
            return items
        if isinstance(node, ast.Dict):
            result: dict[Any, Any] = {}
            for key, value in zip(node.keys, node.values, strict=True):
                if key is None:
                    spread = again(value)
                    if isinstance(spread, dict):
                        result.update(spread)
                else:
                    result[again(key)] = again(value)
            return result
        if isinstance(node, ast.Name):
            assigned = module.assignments.get(node.id)
            if assigned is not None:
                return self.static_value(assigned, module, depth + 1)
            elsewhere = self.globals.get(node.id, [])
            if len(elsewhere) == 1 and self.resolve(node.id) is None:
                owner, value = elsewhere[0]
                return self.static_value(value, owner, depth + 1)
            return node.id
        if isinstance(node, ast.Attribute):
            return _dotted(node)
        if isinstance(node, ast.BinOp):
            left, right = again(node.left), again(node.right)
            if isinstance(node.op, ast.Add) and type(left) is type(right) and left is not None:
                return left + right
            if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, str):
                return f"{left.rstrip('/')}/{right}"
            return None
        if isinstance(node, ast.Call):
            func = _dotted(node.func).rsplit(".", 1)[-1]
            if func in {"Path", "PurePath", "PurePosixPath", "str"} and node.args:
                return again(node.args[0])
            return {kw.arg: again(kw.value) for kw in node.keywords if kw.arg is not None}
        return None


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
        if isinstance(value, ast.Call) and _dotted(value.func).rsplit(".", 1)[-1] == "Field":
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
            factory = _dotted(options["default_factory"])
            if factory in {"list", "set", "tuple"}:
                schema["default"] = []
            elif factory == "dict":
                schema["default"] = {}
        description = _string(options.get("description")) or _string(options.get("title"))
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
            return self._named_schema(_dotted(node), cls)
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
        origin = _dotted(node.value).rsplit(".", 1)[-1]
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
        func = _dotted(node.func).rsplit(".", 1)[-1]
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
            enum_cls = self.index.resolve(_dotted(node.value), near=cls)
            if enum_cls is not None:
                members = _enum_members(enum_cls)
                if node.attr in members:
                    return members[node.attr]
            return node.attr.lower()
        return _literal(node)

    def _default_value(self, node: ast.expr, cls: ClassInfo) -> tuple[bool, Any]:
        if isinstance(node, ast.Attribute):
            enum_cls = self.index.resolve(_dotted(node.value), near=cls)
            if enum_cls is not None and node.attr in (members := _enum_members(enum_cls)):
                return True, members[node.attr]
            return False, None
        value = _literal(node, missing=_MISSING)
        if value is _MISSING:
            return False, None
        return True, _jsonable(value)


_MISSING = object()


def path_rank(path: str) -> tuple[int, int, str]:
    """Order of preference between files defining the same thing: the package itself
    before examples and docs, shallow before deep."""
    parts = PurePosixPath(path).parts
    aside = int(any(p in {"examples", "example", "docs", "benchmark", "benchmarks"} for p in parts))
    return aside, len(parts), path


def _is_helper(cls: ClassInfo) -> bool:
    """Abstract tool helpers: the known ones, ABCs and ``Base*``/``*Base``/``*Mixin``."""
    return (
        cls.name in ABSTRACT_TOOLS
        or "ABC" in cls.base_names
        or cls.name.startswith("Base")
        or cls.name.endswith(("Base", "Mixin"))
    )


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _literal(node: ast.expr, missing: Any = None) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return missing


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is Ellipsis:
        return None
    return value


def _is_classvar(annotation: ast.expr) -> bool:
    return _dotted(annotation).rsplit(".", 1)[-1] == "ClassVar"


def _unwrap_annotated(annotation: ast.expr) -> tuple[ast.expr, list[ast.Call]]:
    """``Annotated[X, Field(...), ...]`` -> (X, [Field calls])."""
    if (
        isinstance(annotation, ast.Subscript)
        and _dotted(annotation.value).rsplit(".", 1)[-1] == "Annotated"
        and isinstance(annotation.slice, ast.Tuple)
        and annotation.slice.elts
    ):
        inner, *extra = annotation.slice.elts
        calls = [
            e
            for e in extra
            if isinstance(e, ast.Call) and _dotted(e.func).rsplit(".", 1)[-1] == "Field"
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
            value = _literal(options[option], missing=_MISSING)
            if value is not _MISSING and value is not None:
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
                value = _literal(stmt.value, missing=_MISSING)
                if value is _MISSING and _dotted(stmt.value).endswith("auto"):
                    value = target.id.lower()
                if value is not _MISSING:
                    members[target.id] = _jsonable(value)
    return members


def _arg_defaults(args: ast.arguments) -> Iterator[tuple[str, ast.expr]]:
    positional = [*args.posonlyargs, *args.args]
    for arg, default in zip(
        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
    ):
        yield arg.arg, default
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None:
            yield arg.arg, kw_default


def snake_case(name: str) -> str:
    """``WebSearchTool`` -> ``web_search_tool``; ``SGRAgent`` -> ``sgr_agent``."""
    step = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    step = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", step)
    return re.sub(r"_+", "_", step.replace("-", "_")).lower().strip("_")
