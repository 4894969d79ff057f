import pytest
from django.core.management import call_command

from catalog import services as catalog
from catalog.models import ToolVersion
from retrieval.embedding import get_embedder
from retrieval.models import IndexEntry
from retrieval.receivers import on_post_migrate
from retrieval.selectors import tool_search
from retrieval.services import index_entry_sync, index_needs_rebuild

pytestmark = pytest.mark.django_db


def _entry(ref, kind="tool"):
    return IndexEntry.objects.filter(kind=kind, ref=ref).first()


def test_a_new_tool_is_indexed_with_its_filter_columns(make_tool):
    version = make_tool("send_email", "Send an email", type="aux", tags=["mail"], risk_level="high")
    entry = _entry("send_email")
    assert entry is not None
    assert entry.version_id == version.pk
    assert entry.text.startswith("send_email: Send an email")
    assert (entry.tool_type, entry.tags, entry.risk, entry.binding_kind) == (
        "aux",
        ["mail"],
        2,
        "http",
    )
    embedder = get_embedder()
    assert (entry.embedder, entry.dim, len(entry.embedding)) == (
        embedder.name,
        embedder.dim,
        embedder.dim,
    )


def test_the_entry_follows_the_active_version(make_tool, django_capture_on_commit_callbacks):
    first = make_tool("weather", "Current weather for a city")
    second = make_tool("weather", "Weather forecast for the next days")
    assert _entry("weather").version_id == second.pk
    assert "forecast" in _entry("weather").text

    with django_capture_on_commit_callbacks(execute=True):
        catalog.version_activate(version=first)
    assert _entry("weather").version_id == first.pk
    assert "Current weather" in _entry("weather").text

    with django_capture_on_commit_callbacks(execute=True):
        catalog.version_deactivate(version=first)
    assert _entry("weather") is None
    assert tool_search(query="weather for a city") == []


def test_unbound_and_inactive_tools_are_not_indexed(make_tool):
    make_tool("mystery", "Does something with weather", binding_kind="unbound")
    make_tool("drafted", "Weather radar images", activate=False)
    assert _entry("mystery") is None
    assert _entry("drafted") is None


def test_changing_only_tags_keeps_the_embedding(make_tool, django_capture_on_commit_callbacks):
    make_tool("weather", "Current weather for a city", tags=["a"])
    before = _entry("weather")
    with django_capture_on_commit_callbacks(execute=True):
        catalog.tool_upsert(name="weather", tags=["a", "b"])
    after = _entry("weather")
    assert after.tags == ["a", "b"]
    assert "Tags: a, b" in after.text  # tags are part of the text, so re-embedded
    assert after.pk == before.pk


def test_template_versions_are_indexed_as_agents(make_agent, django_capture_on_commit_callbacks):
    version = make_agent("researcher", "Deep web research", capabilities="Finds sources")
    entry = _entry("researcher", kind="agent")
    assert entry.version_id == version.pk
    assert "Finds sources" in entry.text
    with django_capture_on_commit_callbacks(execute=True):
        catalog.version_deactivate(version=version)
    assert _entry("researcher", kind="agent") is None


@pytest.mark.django_db(transaction=True)
def test_signals_fire_after_a_real_commit(make_tool):
    tool = catalog.tool_upsert(name="translate")
    catalog.tool_version_create(
        tool=tool,
        description="Translate text between languages",
        input_schema={"type": "object"},
        binding_kind="http",
        binding={"url": "https://example.com/translate"},
    )
    assert _entry("translate") is not None


def test_sync_ignores_pipelines_and_unknown_names():
    assert index_entry_sync(kind="pipeline", name="x") is None
    assert index_entry_sync(kind="tool", name="nope") is None


def test_reindex_rebuilds_from_the_catalog(make_tool, capsys):
    make_tool("weather", "Current weather for a city")
    make_tool("stocks", "Stock quotes")
    IndexEntry.objects.filter(ref="weather").delete()
    IndexEntry.objects.create(
        kind="tool",
        ref="ghost",
        version_id=0,
        text="gone",
        embedding=[0.1] * get_embedder().dim,
        embedder=get_embedder().name,
        dim=get_embedder().dim,
    )
    call_command("reindex", "--kind", "tool")
    out = capsys.readouterr().out
    assert "2 entries indexed, 1 removed" in out
    assert set(IndexEntry.objects.values_list("ref", flat=True)) == {"weather", "stocks"}
    assert ToolVersion.objects.filter(is_active=True).count() == 2


def test_an_index_left_by_the_previous_default_embedder_is_rebuilt_after_migrate(make_tool):
    make_tool("weather", "Current weather for a city")
    # What an index built before the two-model default holds: USE vectors alone.
    IndexEntry.objects.update(embedder="use-multilingual-v3", dim=512, embedding=[0.1] * 512)
    assert index_needs_rebuild()
    on_post_migrate()
    assert list(IndexEntry.objects.values_list("ref", "embedder", "dim")) == [
        ("weather", get_embedder().name, get_embedder().dim)
    ]
    assert not index_needs_rebuild()


def test_a_tools_parameters_are_part_of_what_it_is_found_by(django_capture_on_commit_callbacks):
    schema = {
        "type": "object",
        "properties": {
            "tracking_number": {"type": "string", "description": "the waybill code"},
            "carrier": {"type": "string"},
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        catalog.tool_version_create(
            tool=catalog.tool_upsert(name="parcel_status"),
            description="Where a shipment is now.",
            input_schema=schema,
            binding_kind="http",
            binding={"url": "https://example.com/parcel"},
        )
    parameters = _entry("parcel_status").text.splitlines()[1]
    assert parameters.startswith("Parameters: ")  # in the order the JSON column keeps them
    assert set(parameters.removeprefix("Parameters: ").split("; ")) == {
        "tracking number: the waybill code",
        "carrier",
    }
    hits = tool_search(query="waybill", threshold=0.99)  # no similarity: the words alone
    assert [hit.name for hit in hits] == ["parcel_status"]
    assert hits[0].all_words_matched
