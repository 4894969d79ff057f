import pytest

from catalog import services
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import ToolVersion

pytestmark = pytest.mark.django_db

SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}


def _version(tool, description="Search things", **kwargs):
    return services.tool_version_create(
        tool=tool,
        description=description,
        input_schema=kwargs.pop("input_schema", SCHEMA),
        binding_kind="http",
        binding={"url": "https://example.com/search"},
        **kwargs,
    )


def test_changed_content_creates_a_new_active_version_and_keeps_the_old():
    tool = services.tool_upsert(name="search", type="domain")
    first, created = _version(tool)
    assert created and first.version == 1 and first.is_active
    second, created = _version(tool, description="Search the web")
    first.refresh_from_db()
    assert created and second.version == 2 and second.is_active
    assert not first.is_active


def test_same_content_returns_the_existing_version():
    tool = services.tool_upsert(name="search")
    first, _ = _version(tool)
    again, created = _version(tool)
    assert not created and again.pk == first.pk
    assert ToolVersion.objects.filter(tool=tool).count() == 1


def test_activating_an_old_version_deactivates_the_current_one():
    tool = services.tool_upsert(name="search")
    first, _ = _version(tool)
    second, _ = _version(tool, description="v2")
    services.version_activate(version=first)
    second.refresh_from_db()
    first.refresh_from_db()
    assert first.is_active and not second.is_active


def test_invalid_schema_is_refused_and_nothing_is_written():
    tool = services.tool_upsert(name="search")
    with pytest.raises(InvalidCatalogEntry, match="not valid JSON Schema"):
        _version(tool, input_schema={"type": "object", "properties": {"q": {"type": 5}}})
    assert not ToolVersion.objects.exists()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"timeout_seconds": 0}, "greater than 0"),
        ({"max_calls_per_session": 0}, "greater than or equal to 1"),
        ({"retries": 3}, "Extra inputs are not permitted"),
        ("fast", "valid dictionary"),
    ],
)
def test_tool_limits_are_validated_and_unset_ones_left_out(limits, message):
    tool = services.tool_upsert(name="search")
    with pytest.raises(InvalidCatalogEntry, match=message):
        _version(tool, limits=limits)
    assert not ToolVersion.objects.exists()
    version, _ = _version(tool, limits={"timeout_seconds": 2.5})
    assert version.limits == {"timeout_seconds": 2.5}


def test_python_binding_must_resolve():
    tool = services.tool_upsert(name="mystery")
    with pytest.raises(InvalidCatalogEntry, match="names no built-in implementation"):
        services.tool_version_create(
            tool=tool,
            description="x",
            input_schema=SCHEMA,
            binding_kind="python",
            binding={"entrypoint": "does_not_exist"},
        )


def test_bad_names_are_refused():
    with pytest.raises(InvalidCatalogEntry):
        services.tool_upsert(name="Bad Name!")


def test_the_takeover_policy_is_stored_checked_and_hashed_only_when_set():
    tool = services.tool_upsert(name="search")
    plain, _ = _version(tool)
    assert (plain.idempotent, plain.on_takeover) == (False, "retry")
    # Stored before the policy existed, a version keeps its hash: the defaults add nothing.
    assert plain.content_hash == services.content_hash(
        {
            "description": "Search things",
            "long_description": "",
            "input_schema": SCHEMA,
            "binding_kind": "http",
            "binding": {"url": "https://example.com/search"},
            "unbound_reason": "",
            "risk_level": "low",
            "requires_approval": False,
            "limits": {},
        }
    )
    asking, created = _version(tool, on_takeover="ask")
    assert created and asking.on_takeover == "ask" and asking.content_hash != plain.content_hash
    with pytest.raises(InvalidCatalogEntry, match="on_takeover must be one of") as refused:
        _version(tool, on_takeover="maybe")
    assert refused.value.param == "on_takeover"
