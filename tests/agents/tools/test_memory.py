"""The memory and file tools over the memory store in PostgreSQL: the originals' argument
shapes and answers, traversal refused, size limits, and the store a template asks for."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from agents import memory
from agents.exceptions import MemoryRefused
from agents.models import MemoryEntry
from agents.services import session_start
from agents.tools.base import ToolContext
from agents.tools.builtin import BUILTIN_TOOLS
from catalog import services as catalog_services
from catalog.models import AgentTemplate

pytestmark = pytest.mark.django_db(transaction=True)


def _start(*, scope: str = "session", owner: str = "", template: str = "notes") -> ToolContext:
    entry = AgentTemplate.objects.filter(name=template).first() or (
        catalog_services.template_upsert(name=template)
    )
    version, _ = catalog_services.template_version_create(
        template=entry,
        flavour="sgr_tool_calling",
        system_prompt="Keep notes. {available_tools}",
        tool_policy={"tools": ["create_file"], "memory_scope": scope},
    )
    session, _ = session_start(template_version=version, task="t", owner=owner)
    return ToolContext(session_id=session.pk, run_id=1, step=1, depth=0, owner=owner, state={})


async def call(tool: str, context: ToolContext, **arguments: Any) -> str:
    outcome = await BUILTIN_TOOLS[tool]({"reasoning": "r", **arguments}, context)
    return outcome.content


@pytest.fixture
async def context() -> ToolContext:
    return await sync_to_async(_start)()


async def test_files_are_created_read_updated_and_deleted(context):
    assert await call("create_file", context, file_path="./people//bob.md", content="Bob: 42") == (
        "True"
    )
    assert await call("read_file", context, file_path="people/bob.md") == "Bob: 42"
    assert await call("check_if_file_exists", context, file_path="/people/bob.md") == "True"
    assert await call("check_if_dir_exists", context, dir_path="people") == "True"
    assert await call("check_if_file_exists", context, file_path="people") == "False"

    assert await call(
        "update_file", context, file_path="people/bob.md", old_content="42", new_content="43"
    ) == ("True")
    assert await call("read_file", context, file_path="people/bob.md") == "Bob: 43"
    with pytest.raises(MemoryRefused, match="does not contain the text"):
        await call(
            "update_file", context, file_path="people/bob.md", old_content="x", new_content="y"
        )

    assert await call("get_size", context, file_or_dir_path="people/bob.md") == "7"
    assert await call("get_size", context, file_or_dir_path="") == "7"
    assert await call("delete_file", context, file_path="people/bob.md") == "True"
    assert await call("delete_file", context, file_path="people/bob.md") == "False"
    with pytest.raises(MemoryRefused, match="does not exist"):
        await call("read_file", context, file_path="people/bob.md")


async def test_the_tree_and_links_follow_the_notes(context):
    await call("create_file", context, file_path="user.md", content="See [[entities/plumber]]")
    await call("create_file", context, file_path="entities/plumber.md", content="Frank, plumber")
    await call("create_dir", context, dir_path="archive")

    assert await call("get_list_files", context) == (
        "./\n├── archive/ (empty)\n├── entities/\n│   └── plumber.md\n└── user.md"
    )
    assert await call("go_to_link", context, link_string="[[entities/plumber]]") == (
        "Frank, plumber"
    )


@pytest.mark.parametrize(
    "path", ["../outside.md", "notes/../../etc/passwd", "a/\x00b", "..", "", "/"]
)
async def test_paths_that_leave_the_store_or_name_no_file_are_refused(context, path):
    with pytest.raises(MemoryRefused):
        await call("create_file", context, file_path=path, content="x")
    assert not await MemoryEntry.objects.filter(kind="file").aexists()


async def test_size_limits_are_enforced(context, monkeypatch):
    monkeypatch.setattr(memory, "FILE_MAX_BYTES", 10)
    monkeypatch.setattr(memory, "STORE_MAX_BYTES", 15)
    with pytest.raises(MemoryRefused, match="a file may hold 10"):
        await call("create_file", context, file_path="big.md", content="x" * 11)
    await call("create_file", context, file_path="a.md", content="x" * 10)
    with pytest.raises(MemoryRefused, match="its limit is 15"):
        await call("create_file", context, file_path="b.md", content="x" * 6)
    # Counting bytes, not characters.
    with pytest.raises(MemoryRefused, match="would be 12 bytes"):
        await call("create_file", context, file_path="a.md", content="ж" * 6)


async def test_a_file_and_a_directory_cannot_share_a_name(context):
    await call("create_file", context, file_path="notes", content="x")
    with pytest.raises(MemoryRefused, match="notes is a file"):
        await call("create_file", context, file_path="notes/a.md", content="y")
    await call("create_dir", context, dir_path="d")
    with pytest.raises(MemoryRefused, match="d is a directory"):
        await call("create_file", context, file_path="d", content="y")


async def test_each_session_has_its_own_store_unless_the_template_asks():
    first, second = await sync_to_async(_start)(), await sync_to_async(_start)()
    await call("create_file", first, file_path="a.md", content="mine")
    assert await call("check_if_file_exists", second, file_path="a.md") == "False"

    # Long-term memory: one store per caller and template, shared by their sessions only.
    alice = await sync_to_async(_start)(scope="owner", owner="alice", template="diary")
    alice_later = await sync_to_async(_start)(scope="owner", owner="alice", template="diary")
    bob = await sync_to_async(_start)(scope="owner", owner="bob", template="diary")
    await call("create_file", alice, file_path="a.md", content="alice's")
    assert await call("read_file", alice_later, file_path="a.md") == "alice's"
    assert await call("check_if_file_exists", bob, file_path="a.md") == "False"

    shared = await sync_to_async(_start)(scope="template", owner="x", template="wiki")
    other = await sync_to_async(_start)(scope="template", owner="y", template="wiki")
    await call("create_file", shared, file_path="page.md", content="wiki")
    assert await call("read_file", other, file_path="page.md") == "wiki"


async def test_the_file_agent_tools_work_on_the_same_store(context):
    await call("create_file", context, file_path="src/app.py", content="import os\nprint('Hi')\n")
    await call("create_file", context, file_path="src/lib/util.py", content="def hi():\n  pass\n")
    await call("create_file", context, file_path="README.md", content="hi there\nbye\n")

    assert await call("read_file", context, file_path="src/app.py", start_line=2, end_line=2) == (
        "2: print('Hi')"
    )
    assert await call("list_directory", context, directory_path="src") == (
        "Contents of /src:\napp.py (22 bytes)\nlib/"
    )
    listing = await call("list_directory", context, recursive=True)
    assert "src/\n  app.py (22 bytes)\n  lib/\n    util.py (17 bytes)" in listing
    found = await call("search_in_files", context, search_text="hi", file_pattern="*.py")
    assert found == "1 match(es) for 'hi':\nsrc/lib/util.py:1: def hi():"
    insensitive = await call("search_in_files", context, search_text="HI", case_sensitive=False)
    assert "README.md:1: hi there" in insensitive and "src/app.py:2: print('Hi')" in insensitive
    assert "src/lib/util.py:1" in await call(
        "search_in_files", context, search_text=r"^def \w+\(", regex=True
    )
    # A literal search treats pattern characters as text.
    assert (await call("search_in_files", context, search_text="(")).startswith("2 match(es)")
    with pytest.raises(MemoryRefused, match="cannot search"):
        await call("search_in_files", context, search_text="(", regex=True)

    fast = await call("find_files_fast", context, directory="", name_pattern="*.py", max_depth=3)
    assert fast.startswith("2 file(s):\nsrc/app.py (22 bytes")
    assert (await call("find_files_fast", context, directory="src", max_depth=1)).startswith(
        "1 file(s):\nsrc/app.py"
    )
    assert await call("find_files_fast", context, directory="", min_size="1k") == "No files found."
    with pytest.raises(MemoryRefused, match="leaves the memory"):
        await call("list_directory", context, directory_path="../..")
    paths = await call("get_system_paths", context)
    assert "Files: 3, directories: 2" in paths and "no other filesystem" in paths
