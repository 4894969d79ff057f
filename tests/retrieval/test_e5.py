import logging
from pathlib import Path

import numpy as np
import pytest

from retrieval import e5
from retrieval.e5 import E5Small, source_model_path
from retrieval.embedding import LocalEmbedder, get_embedder


@pytest.fixture(scope="module")
def model() -> E5Small:
    embedder = get_embedder()
    assert isinstance(embedder, LocalEmbedder)
    return embedder._e5


def test_the_packed_file_describes_multilingual_e5_small():
    packed = e5._PackedModel(source_model_path())
    shape = (packed.hidden, packed.layers, packed.heads, packed.ffn, packed.positions)
    assert shape == (384, 12, 12, 1536, 512)
    assert len(packed.vocab) == 250_002  # XLM-RoBERTa's SentencePiece vocabulary
    assert (packed.bos, packed.eos, packed.unk) == (0, 2, 3)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # XLM-RoBERTa's own ids for these (its tokenizer, as published with the model)
        ("Hello world", [0, 35378, 8999, 2]),
        ("Hello  world", [0, 35378, 8999, 2]),  # runs of spaces collapse
    ],
)
def test_the_tokenizer_gives_the_models_ids(model, text, ids):
    assert model.token_ids(text) == ids


def test_a_long_text_is_cut_to_the_models_positions(model):
    ids = model.token_ids("word " * 2000)
    assert len(ids) == e5.MAX_TOKENS
    assert (ids[0], ids[-1]) == (0, 2)


def test_queries_and_passages_are_embedded_with_their_own_prefix(model):
    text = "track my parcel"
    query, passage = model.embed_queries([text])[0], model.embed_passages([text])[0]
    assert 0.8 < float(query @ passage) < 0.999  # the same words, read in two roles
    np.testing.assert_allclose(np.linalg.norm([query, passage], axis=1), 1.0, atol=1e-5)


def test_a_request_is_nearest_the_description_it_means(model):
    (request,) = model.embed_queries(["where is the parcel I sent last week?"])
    descriptions = model.embed_passages(
        [
            "Track a shipment by its tracking number.",
            "Send an email message to a recipient.",
            "Current weather for a city.",
        ]
    )
    assert int(np.argmax(descriptions @ request)) == 0


def test_a_cached_graph_is_loaded_not_rebuilt(monkeypatch, settings):
    def no_build(_model):
        raise AssertionError("the graph was rebuilt although it is cached")

    monkeypatch.setattr(e5, "_int8_graph", no_build)
    cache = Path(settings.EMBEDDINGS_CACHE_DIR)  # the session's embedder wrote it there
    assert list(cache.glob("e5-small-int8-*.onnx"))
    assert E5Small(cache_dir=cache).embed_queries(["hello"]).shape == (1, 384)


def test_an_unwritable_cache_only_costs_the_rebuild(monkeypatch, settings, tmp_path, caplog):
    built = next(Path(settings.EMBEDDINGS_CACHE_DIR).glob("e5-small-int8-*.onnx")).read_bytes()
    calls = []

    def build(_model):
        calls.append(1)
        return built

    monkeypatch.setattr(e5, "_int8_graph", build)
    blocked = tmp_path / "a file, not a directory"
    blocked.write_text("")
    with caplog.at_level(logging.WARNING, logger="retrieval.e5"):
        embedder = E5Small(cache_dir=blocked)
    assert calls == [1]
    assert "could not cache the e5 graph" in caplog.text
    assert embedder.embed_queries(["hello"]).shape == (1, 384)
    E5Small(cache_dir=None)  # no cache at all: built again, nothing written
    assert calls == [1, 1]
