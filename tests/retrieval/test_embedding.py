import json
import time

import httpx
import numpy as np
import pytest

from retrieval.embedding import (
    Embedder,
    MiniLMEmbedder,
    OpenAIEmbedder,
    configured_scripts,
    foreign_script,
    get_embedder,
)
from retrieval.exceptions import EmbedderUnavailable


def test_default_embedder_is_the_offline_minilm_and_is_cached():
    embedder = get_embedder()
    assert isinstance(embedder, MiniLMEmbedder)
    assert isinstance(embedder, Embedder)
    assert embedder.dim == 384
    assert get_embedder() is embedder


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("weather in Moscow tomorrow", None),
        ("Café crème, s'il vous plaît", None),  # accented Latin is still Latin
        ("погода в Москве на завтра", "CYRILLIC"),
        ("напиши в Slack, что сборка зелёная", "CYRILLIC"),  # mostly Cyrillic
        ("ping #ops on Slack: сервер упал", None),  # mostly Latin
        ("明天北京的天气", "CJK"),
        ("RA123456789RU 2024-05-01", None),
        ("12345 ---", None),  # no letters: nothing foreign
    ],
)
def test_the_local_embedder_reads_latin_script_only(text, script):
    assert get_embedder().scripts == frozenset({"LATIN"})
    assert foreign_script(get_embedder(), text) == script


def test_embeddings_scripts_overrides_the_providers_default(settings):
    settings.EMBEDDINGS_SCRIPTS = []
    assert configured_scripts(frozenset({"LATIN"})) == frozenset({"LATIN"})
    assert configured_scripts(None) is None
    settings.EMBEDDINGS_SCRIPTS = ["latin", " Cyrillic "]
    assert configured_scripts(None) == frozenset({"LATIN", "CYRILLIC"})
    settings.EMBEDDINGS_SCRIPTS = ["any"]
    assert configured_scripts(frozenset({"LATIN"})) is None


def test_vectors_are_float32_rows_of_unit_length():
    vectors = get_embedder().embed(["send an email", "погода в Москве", "x" * 5000])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert get_embedder().embed([]).shape == (0, 384)


def test_batching_does_not_change_a_vector():
    embedder = get_embedder()
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(70)]
    together = embedder.embed(texts)
    alone = embedder.embed([texts[42]])
    np.testing.assert_allclose(together[42], alone[0], atol=1e-4)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence():
    query, paraphrase, unrelated = get_embedder().embed(
        [
            "Send an email message to a customer",
            "Deliver mail to a client's inbox",
            "Current stock price of a company",
        ]
    )
    assert query @ paraphrase > query @ unrelated + 0.2


def test_hundred_short_sentences_embed_fast():
    embedder = get_embedder()
    sentences = [f"Look up the weather forecast for city number {i}" for i in range(100)]
    embedder.embed(sentences)  # warm up
    started = time.perf_counter()
    embedder.embed(sentences)
    # Measured ~0.25 s on the 2-core dev machine; generous for a busy CI box.
    assert time.perf_counter() - started < 2.0


def test_openai_embedder_batches_orders_and_normalises():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        assert request.headers["Authorization"] == "Bearer sk-test"
        data = [
            {"index": i, "embedding": [float(len(text)), 0.0, 3.0]}
            for i, text in enumerate(body["input"])
        ]
        return httpx.Response(200, json={"data": list(reversed(data))})

    embedder = OpenAIEmbedder(
        base_url="https://embeddings.example/v1/",
        api_key="sk-test",
        model="text-embedding-3-small",
        dim=3,
        transport=httpx.MockTransport(handler),
    )
    embedder.batch_size = 2
    vectors = embedder.embed(["abcd", "a", "abc"])
    assert embedder.name == "openai:text-embedding-3-small"
    assert embedder.scripts is None  # a remote model is trusted with any script by default
    assert foreign_script(embedder, "погода в Москве") is None
    assert [len(call["input"]) for call in calls] == [2, 1]
    assert calls[0]["model"] == "text-embedding-3-small"
    np.testing.assert_allclose(vectors[0], [0.8, 0.0, 0.6], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_openai_embedder_reports_a_wrong_dimension_and_a_failing_endpoint():
    ok = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]})
    )
    embedder = OpenAIEmbedder(
        base_url="https://e.example/v1", api_key="", model="m", dim=4, transport=ok
    )
    with pytest.raises(EmbedderUnavailable, match="1 dimensions"):
        embedder.embed(["x"])
    down = httpx.MockTransport(lambda request: httpx.Response(503))
    embedder = OpenAIEmbedder(
        base_url="https://e.example/v1", api_key="", model="m", dim=4, transport=down
    )
    with pytest.raises(EmbedderUnavailable):
        embedder.embed(["x"])
