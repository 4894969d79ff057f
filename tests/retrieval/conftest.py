"""Builders for catalog rows whose changes reach the index (on-commit callbacks run)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from catalog import services as catalog

SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}


@pytest.fixture
def make_tool(django_capture_on_commit_callbacks):
    def make(
        name: str,
        description: str,
        *,
        type: str = "domain",
        tags: list[str] | None = None,
        risk_level: str = "low",
        binding_kind: str = "http",
        activate: bool = True,
    ):
        binding = {"url": f"https://example.com/{name}"} if binding_kind == "http" else {}
        with django_capture_on_commit_callbacks(execute=True):
            tool = catalog.tool_upsert(name=name, type=type, tags=tags)
            version, _ = catalog.tool_version_create(
                tool=tool,
                description=description,
                input_schema=SCHEMA,
                binding_kind=binding_kind,
                binding=binding,
                unbound_reason="no implementation" if binding_kind == "unbound" else "",
                risk_level=risk_level,
                activate=activate,
            )
        return version

    return make


@pytest.fixture
def make_agent(django_capture_on_commit_callbacks):
    def make(name: str, description: str, *, capabilities: str = "", tags=None):
        with django_capture_on_commit_callbacks(execute=True):
            template = catalog.template_upsert(name=name, description=description)
            version, _ = catalog.template_version_create(
                template=template,
                flavour="sgr",
                system_prompt="You are a helpful agent.",
                capabilities=capabilities,
                tags=tags,
            )
        return version

    return make


class HashEmbedder:
    """A stand-in for a different embedder: deterministic, 8 dimensions."""

    name = "test-hash-8"
    dim = 8
    scripts = None

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for text in texts:
            digest = hashlib.sha256(text.encode()).digest()
            rows.append(np.frombuffer(digest[:8], dtype=np.uint8).astype(np.float32) + 1)
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)


@pytest.fixture
def other_embedder(monkeypatch):
    """Switch the configured embedder to ``HashEmbedder`` for this test."""
    embedder = HashEmbedder()
    monkeypatch.setattr("retrieval.services.get_embedder", lambda: embedder)
    monkeypatch.setattr("retrieval.selectors.get_embedder", lambda: embedder)
    return embedder
