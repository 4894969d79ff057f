"""Idempotency, versions, activation, dry runs, errors and the clone cache."""

from pathlib import Path

import pytest
from django.core.management import CommandError

from catalog.models import AgentTemplate, AgentTemplateVersion, Tool, ToolVersion
from catalog.seeding.repository import cache_dir_name
from tests.catalog.seeding.layouts import commit

pytestmark = pytest.mark.django_db


def rows():
    return (
        Tool.objects.count(),
        ToolVersion.objects.count(),
        AgentTemplate.objects.count(),
        AgentTemplateVersion.objects.count(),
    )


def table(out):
    return {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  t")
    }


def test_seeding_twice_changes_nothing(main_repo, entrypoints, seed):
    seed("--repo-path", main_repo.working_tree_dir)
    before = rows()
    stamps = list(Tool.objects.order_by("name").values_list("updated_at", flat=True))

    out = seed("--repo-path", main_repo.working_tree_dir)

    assert rows() == before
    assert list(Tool.objects.order_by("name").values_list("updated_at", flat=True)) == stamps
    assert table(out)["tools"] == ["0", "0", "6", "2"]
    assert table(out)["templates"] == ["0", "0", "4", "-"]
    assert "Nothing changed" in out


def test_changed_content_creates_a_new_active_version(main_repo, entrypoints, seed):
    seed("--repo-path", main_repo.working_tree_dir)
    path = Path(main_repo.working_tree_dir) / "sgr_agent_core/tools/web_search_tool.py"
    text = path.read_text().replace("default=5, ge=1, le=10", "default=3, ge=1, le=8")
    commit(main_repo, {"sgr_agent_core/tools/web_search_tool.py": text}, "fewer results")

    out = seed("--repo-path", main_repo.working_tree_dir)

    versions = ToolVersion.objects.filter(tool__name="web_search").order_by("version")
    assert [(v.version, v.is_active) for v in versions] == [(1, False), (2, True)]
    assert versions[1].input_schema["properties"]["max_results"]["maximum"] == 8
    assert versions[1].source_commit == main_repo.head.commit.hexsha
    assert table(out)["tools"] == ["0", "1", "5", "2"]
    assert "+ tool web_search@2" in out
    assert "Nothing changed" not in out


def test_no_activate_stores_inactive_versions(main_repo, entrypoints, seed):
    out = seed("--repo-path", main_repo.working_tree_dir, "--no-activate")

    assert ToolVersion.objects.exists() and AgentTemplateVersion.objects.exists()
    assert not ToolVersion.objects.filter(is_active=True).exists()
    assert not AgentTemplateVersion.objects.filter(is_active=True).exists()
    assert "stored inactive" in out


def test_dry_run_writes_nothing(main_repo, entrypoints, seed):
    out = seed("--repo-path", main_repo.working_tree_dir, "--dry-run")

    assert rows() == (0, 0, 0, 0)
    assert "DRY RUN" in out
    assert table(out)["tools"] == ["6", "0", "0", "2"]
    assert "+ template sgr_agent@1" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--repo-url", "file:///nonexistent/sgr-agent-core.git"), "cannot clone"),
        (("--branch", "no-such-branch"), "branch 'no-such-branch' does not exist"),
        (("--branch", "main", "--branch", "missing"), "branch 'missing' does not exist"),
    ],
)
def test_bad_sources_fail_clearly_and_write_nothing(
    main_repo, entrypoints, seed, settings, tmp_path, args, message
):
    settings.MARUNTIME_HOME = tmp_path / "home"
    if args[0] == "--branch":
        args = ("--repo-path", main_repo.working_tree_dir, *args)

    with pytest.raises(CommandError, match=message):
        seed(*args)

    assert rows() == (0, 0, 0, 0)


def test_a_path_that_is_no_repository(tmp_path, seed):
    (tmp_path / "plain").mkdir()
    with pytest.raises(CommandError, match="is not a git repository"):
        seed("--repo-path", str(tmp_path / "plain"))
    with pytest.raises(CommandError, match="does not exist"):
        seed("--repo-path", str(tmp_path / "missing"))
    assert rows() == (0, 0, 0, 0)


def test_a_url_is_cloned_into_the_cache_then_fetched(
    main_repo, entrypoints, seed, settings, tmp_path
):
    settings.MARUNTIME_HOME = tmp_path / "home"
    url = Path(main_repo.git_dir).parent.as_uri()

    out = seed("--repo-url", url)

    cache = tmp_path / "home" / "repos" / cache_dir_name(url)
    assert (cache / "HEAD").exists()  # a mirror clone, no working tree
    assert f"cloning {url}" in out
    assert active_source("web_search") == url
    assert ToolVersion.objects.get(tool__name="web_search").source_branch == "main"

    commit(main_repo, {"NEWS.md": "nothing relevant\n"}, "docs")
    again = seed("--repo-url", url)
    assert f"fetching {url}" in again
    assert "Nothing changed" in again
    assert ToolVersion.objects.filter(tool__name="web_search").count() == 1


def active_source(name):
    return ToolVersion.objects.get(tool__name=name, is_active=True).source_repo


def test_unknown_yaml_and_broken_python_do_not_fail(main_repo, entrypoints, seed):
    commit(
        main_repo,
        {
            "agents.yaml": "agents: [oops\n",
            "sgr_agent_core/tools/broken_tool.py": "class Broken(:\n",
            "deploy/config.yaml": "server:\n  port: 1\nagents: 5\n",
        },
        "noise",
    )

    out = seed("--repo-path", main_repo.working_tree_dir)

    assert "agents.yaml: not valid YAML" in out
    assert "broken_tool.py: cannot be parsed" in out
    assert "'agents' is neither a mapping nor a list" in out
    assert Tool.objects.filter(name="web_search").exists()
