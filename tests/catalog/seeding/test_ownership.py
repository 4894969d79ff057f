"""Which source owns a name: a seed (``seed_builtin``, ``seed_catalog``) activates its version
only where the entry is new or its active version came from the same source, so neither
undoes an admin's activation, nor each other's."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog import services
from catalog.models import AgentTemplate, AgentTemplateVersion, ToolVersion

pytestmark = pytest.mark.django_db


def seed_builtin() -> str:
    out = StringIO()
    call_command("seed_builtin", stdout=out)
    return out.getvalue()


def active(template: str) -> AgentTemplateVersion:
    return AgentTemplateVersion.objects.get(template__name=template, is_active=True)


def hand_made_version(template: str) -> AgentTemplateVersion:
    """What an admin does: a new version of the template, activated."""
    current = active(template)
    version, _ = services.template_version_create(
        template=current.template,
        flavour=current.flavour,
        system_prompt="An admin's own prompt. {available_tools}",
        tool_policy=current.tool_policy,
    )
    return version


def test_built_in_versions_carry_their_source():
    seed_builtin()
    version = active("sgr_agent")
    assert (version.source_repo, version.source_path) == ("maruntime", "catalog/builtin.py")
    assert ToolVersion.objects.get(tool__name="final_answer").source_repo == "maruntime"


def test_seed_builtin_keeps_the_version_an_admin_activated_and_says_so():
    seed_builtin()
    mine = hand_made_version("sgr_agent")
    assert mine.version == 2 and mine.is_active

    out = seed_builtin()

    assert active("sgr_agent").pk == mine.pk
    assert "sgr_agent@1: stored inactive, v2 (made by hand) stays active" in out
    # Names nobody touched keep their built-in version.
    assert active("tool_calling_agent").version == 1


def test_seed_builtin_leaves_an_entry_an_admin_deactivated_inactive():
    seed_builtin()
    services.version_deactivate(version=active("router"))

    out = seed_builtin()

    assert not AgentTemplateVersion.objects.filter(template__name="router", is_active=True)
    assert "router@1: stored inactive, no version is active" in out


def test_a_changed_built_in_replaces_the_built_in_it_supersedes(monkeypatch):
    from catalog import builtin

    seed_builtin()
    changed = [dict(spec) for spec in builtin.BUILTIN_TEMPLATES]
    changed[0]["capabilities"] = "A newer built-in description."
    monkeypatch.setattr(builtin, "BUILTIN_TEMPLATES", changed)

    seed_builtin()

    assert active(changed[0]["name"]).version == 2


def test_a_new_built_in_version_is_stored_inactive_next_to_an_admin_choice(monkeypatch):
    from catalog import builtin

    seed_builtin()
    mine = hand_made_version("sgr_agent")
    changed = [dict(spec) for spec in builtin.BUILTIN_TEMPLATES]
    changed[0]["capabilities"] = "A newer built-in description."
    monkeypatch.setattr(builtin, "BUILTIN_TEMPLATES", changed)

    out = seed_builtin()

    assert active("sgr_agent").pk == mine.pk
    newest = AgentTemplateVersion.objects.get(template__name="sgr_agent", version=3)
    assert not newest.is_active and newest.source_repo == "maruntime"
    assert "sgr_agent@3: stored inactive, v2 (made by hand) stays active" in out


def test_a_version_stored_before_seeds_recorded_their_source_is_claimed():
    seed_builtin()
    ToolVersion.objects.update(source_repo="", source_path="")

    seed_builtin()

    assert set(ToolVersion.objects.values_list("source_repo", flat=True)) == {"maruntime"}


def test_seeding_sgr_agent_core_leaves_the_built_in_names_with_the_built_in(
    main_repo, entrypoints, seed
):
    seed_builtin()

    out = seed("--repo-path", main_repo.working_tree_dir)

    # The built-in keeps its names; the imported versions wait, inactive, for an admin.
    assert active("sgr_agent").source_repo == "maruntime"
    imported = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=False)
    assert imported.source_repo == main_repo.working_tree_dir
    assert f"= {imported}" in out and "v1 (maruntime) stays active" in out
    assert ToolVersion.objects.get(tool__name="web_search", is_active=True).source_repo == (
        "maruntime"
    )
    # A name only the repository defines is the repository's, active at once.
    assert active("custom_agent").source_repo == main_repo.working_tree_dir

    # Neither command undoes the other: running both again changes nothing.
    seed_builtin()
    seed("--repo-path", main_repo.working_tree_dir)
    assert active("sgr_agent").source_repo == "maruntime"
    assert AgentTemplate.objects.get(name="sgr_agent").versions.count() == 2


def test_an_imported_version_an_admin_activated_survives_make_run(main_repo, entrypoints, seed):
    seed_builtin()
    seed("--repo-path", main_repo.working_tree_dir)
    imported = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=False)
    services.version_activate(version=imported)

    seed_builtin()
    seed("--repo-path", main_repo.working_tree_dir)

    assert active("sgr_agent").pk == imported.pk
