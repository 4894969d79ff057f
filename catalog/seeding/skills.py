"""Agent Skills of a branch (sgr-agent-core 0.7.1): ``<root>/skills/<name>/SKILL.md`` files
(its default root is ``.agent/skills``), each a YAML frontmatter with ``name`` and
``description`` followed by the instructions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import yaml

from catalog.seeding.names import sanitize_name

_FRONTMATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)


@dataclass
class SkillPlan:
    name: str
    description: str
    content: str
    path: str


def is_skill_file(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return len(parts) >= 3 and parts[-1] == "SKILL.md" and parts[-3] == "skills"


def read_skill(path: str, text: str) -> SkillPlan | str:
    """The skill the file defines, or why it defines none."""
    match = _FRONTMATTER.match(text)
    if match is None:
        return f"{path}: no '---' frontmatter with name and description; skipped"
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return f"{path}: its frontmatter is not valid YAML; skipped"
    meta = meta if isinstance(meta, dict) else {}
    description = str(meta.get("description") or "").strip()
    if not description:
        return f"{path}: the skill has no description; skipped"
    name = sanitize_name(str(meta.get("name") or PurePosixPath(path).parts[-2]), prefix="skill")
    return SkillPlan(name=name, description=description, content=match.group(2).strip(), path=path)
