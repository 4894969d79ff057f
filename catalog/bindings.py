"""Which python tool implementations exist, without importing them.

The agents app registers its built-in implementations here at start-up (catalog imports
none of the other apps); the catalog uses the registry to check that a ``python`` binding
resolves before storing it.
"""

from __future__ import annotations

_PYTHON_ENTRYPOINTS: set[str] = set()


def register_python_entrypoint(name: str) -> None:
    _PYTHON_ENTRYPOINTS.add(name)


def python_entrypoints() -> frozenset[str]:
    return frozenset(_PYTHON_ENTRYPOINTS)
