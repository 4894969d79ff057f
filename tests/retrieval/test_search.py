import pytest
from django.core.management import call_command

from maruntime.errors import InvalidInput
from retrieval.embedding import get_embedder
from retrieval.exceptions import IndexStale
from retrieval.models import IndexEntry
from retrieval.selectors import (
    SearchHit,
    agent_search,
    min_similarity,
    passes_threshold,
    query_language,
    tool_search,
)
from retrieval.services import index_entry_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def tools(make_tool):
    make_tool(
        "web_search",
        "Search the internet and return result pages with snippets",
        type="aux",
        tags=["web"],
    )
    make_tool(
        "send_email",
        "Send an email message to a recipient address",
        tags=["mail", "comms"],
        risk_level="medium",
    )
    make_tool(
        "delete_database",
        "Drop a database and all of its tables permanently",
        type="system",
        tags=["db"],
        risk_level="critical",
    )
    make_tool(
        "weather_forecast",
        "Weather forecast for a city: temperature, rain and wind",
        tags=["weather"],
    )
    make_tool(
        "currency_convert",
        "Convert an amount of money between currencies at today's rate",
        tags=["finance"],
    )
    make_tool(
        "ticket_create",
        "Создать заявку в службе поддержки: тема, описание проблемы и приоритет",
        tags=["support"],
    )
    make_tool(
        "weather_radar",
        "Rain radar map images for a region",
        binding_kind="unbound",
    )


def _names(hits):
    return [hit.name for hit in hits]


def test_the_best_tool_comes_first_with_an_explanation(tools):
    hits = tool_search(query="will it rain in Paris tomorrow?", k=3)
    assert hits[0].name == "weather_forecast"
    top = hits[0]
    assert isinstance(top, SearchHit)
    assert top.kind == "tool"
    assert top.vector_rank == 1
    assert top.vector_similarity == max(hit.vector_similarity for hit in hits)
    assert top.score > 0
    assert top.explanation.startswith("vector #1 (")
    assert "text #" in top.explanation  # "rain" matches the description


def test_unbound_tools_are_never_found(tools):
    assert "weather_radar" not in _names(tool_search(query="rain radar map", k=10))


def test_filters_types_tags_allow_deny_and_risk(tools):
    query = "search the web for news about databases and email"
    everything = set(_names(tool_search(query=query, k=10, threshold=-1)))
    assert {"web_search", "send_email", "delete_database"} <= everything

    assert set(_names(tool_search(query=query, k=10, types=["aux"], threshold=-1))) == {
        "web_search"
    }
    assert set(_names(tool_search(query=query, k=10, tags=["db", "mail"], threshold=-1))) == {
        "delete_database",
        "send_email",
    }
    assert set(
        _names(tool_search(query=query, k=10, allow=["send_email", "weather_radar"], threshold=-1))
    ) == {"send_email"}
    denied = set(_names(tool_search(query=query, k=10, deny=["web_search"], threshold=-1)))
    assert "web_search" not in denied and "send_email" in denied
    capped = set(_names(tool_search(query=query, k=10, risk_ceiling="medium", threshold=-1)))
    assert "delete_database" not in capped and "send_email" in capped
    with pytest.raises(InvalidInput):
        tool_search(query=query, risk_ceiling="extreme")


def test_no_tool_fits_an_unrelated_query(tools):
    assert tool_search(query="tell me a joke about penguins") == []
    assert tool_search(query="who painted the Mona Lisa") == []
    assert tool_search(query="   ") == []


def test_a_full_text_match_is_kept_below_the_similarity_threshold(tools):
    hits = tool_search(query="currency", threshold=0.99)
    assert _names(hits) == ["currency_convert"]
    assert "kept below 0.99: every query word matched" in hits[0].explanation


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("will it rain in Paris tomorrow?", "en"),
        ("погода в Москве на завтра", "ru"),
        ("напиши в Slack, что сборка зелёная", "ru"),  # mostly Cyrillic
        ("ping #ops on Slack: сервер упал", "en"),  # mostly Latin
        ("RA123456789RU", "en"),
        ("12345", "en"),  # no letters: the default language
    ],
)
def test_a_query_is_judged_by_its_languages_threshold(query, language):
    assert query_language(query) == language


def test_each_language_has_its_own_threshold(tools, settings):
    settings.RETRIEVAL_MIN_SIMILARITY = 0.2
    settings.RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE = {"ru": 0.9}
    assert (min_similarity("en"), min_similarity("ru")) == (0.2, 0.9)
    # The same need in both languages: the English one passes its threshold, the Russian one
    # (no word shared with the English description) is held to 0.9 and gets no tool.
    assert _names(tool_search(query="what will the weather be in Kazan tomorrow?"))[:1] == [
        "weather_forecast"
    ]
    assert tool_search(query="какая погода будет завтра в Казани?") == []
    settings.RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE = {}
    assert min_similarity("ru") == 0.2  # no override: the common threshold
    assert _names(tool_search(query="какая погода будет завтра в Казани?"))[:1] == [
        "weather_forecast"
    ]


def test_a_search_without_threshold_can_be_judged_again_at_any_threshold(tools):
    hits = tool_search(query="will it rain in Paris tomorrow?", k=10, threshold=-1)
    top = hits[0]
    assert passes_threshold(top, top.vector_similarity)
    below = [h for h in hits if not h.text_rank and not h.all_words_matched]
    assert below and not passes_threshold(below[0], below[0].vector_similarity + 0.01)
    assert all(passes_threshold(h, -1) for h in hits)


def test_a_russian_query_finds_the_russian_described_tool(tools):
    hits = tool_search(query="создай заявку в поддержку: не работает принтер")
    assert hits[0].name == "ticket_create"
    assert hits[0].vector_rank == 1
    assert "Cyrillic" not in hits[0].explanation


@pytest.mark.parametrize(
    "query",
    [
        "расскажи анекдот про программистов",
        "кто написал Войну и мир",
        "почему небо голубое",
        "придумай стихотворение про осень",
    ],
    ids=["joke", "author", "sky", "poem"],
)
def test_no_tool_fits_an_unrelated_russian_query(tools, query):
    assert tool_search(query=query) == []
    assert _names(tool_search(query=query, threshold=-1, k=10))  # the gate, not the filters


def test_a_russian_request_for_an_english_described_tool(tools):
    hits = tool_search(query="какая погода будет завтра в Казани?", k=3)
    assert hits[0].name == "weather_forecast"
    assert hits[0].text_rank is None  # no shared word: the vectors alone found it


def test_an_english_query_is_judged_by_similarity(tools):
    hits = tool_search(query="will it rain in Paris tomorrow?", k=3)
    assert hits[0].name == "weather_forecast"
    assert hits[0].explanation.startswith("vector #1 (")


def test_a_query_in_a_script_the_embedder_cannot_read_needs_a_text_match(tools, monkeypatch):
    monkeypatch.setattr(get_embedder(), "scripts", frozenset({"LATIN"}))  # an English-only model
    hits = tool_search(query="создай заявку в поддержку: не работает принтер")
    assert _names(hits) == ["ticket_create"]  # only full-text matches answer it
    assert hits[0].explanation.endswith(
        "Cyrillic query: the embedder does not read it, kept on the text match"
    )
    assert tool_search(query="какая погода будет завтра в Казани?") == []


def test_agent_directory(make_agent, tools):
    make_agent(
        "researcher",
        "Researches a topic on the web and writes a cited report",
        capabilities="web search, source extraction, report writing",
        tags=["research"],
    )
    make_agent("coder", "Writes and reviews Python code", tags=["code"])
    hits = agent_search(query="I need a literature review with citations")
    assert _names(hits)[:1] == ["researcher"]
    assert hits[0].kind == "agent"
    assert _names(agent_search(query="review my python function", tags=["research"])) == []
    assert _names(agent_search(query="review my python function", deny=["coder"])) == []
    # agents and tools never mix
    assert "web_search" not in _names(agent_search(query="search the web", k=10))


def test_a_changed_embedder_makes_search_refuse_until_reindex(tools, other_embedder, capsys):
    with pytest.raises(IndexStale, match=r"manage\.py reindex"):
        tool_search(query="weather")
    # single updates do not mix dimensions into the stale index
    assert index_entry_sync(kind="tool", name="web_search") is None
    assert IndexEntry.objects.filter(embedder=other_embedder.name).count() == 0

    call_command("reindex", "--kind", "agent")  # a stale index is rebuilt whole
    assert "full rebuild" in capsys.readouterr().out
    assert set(IndexEntry.objects.values_list("embedder", "dim")) == {(other_embedder.name, 8)}
    assert IndexEntry.objects.filter(kind="tool").count() == 6
    hits = tool_search(query="weather", threshold=-1, k=10)
    assert len(hits) == 6
