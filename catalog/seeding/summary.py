"""What a seed did: per branch, the tool and template versions created, newly versioned or
unchanged, the tools left unbound, MCP notes and warnings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Counts:
    created: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)
    # Versions left inactive because another source's version of the name is active:
    # label -> which version stays active.
    kept_inactive: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.new_version)


@dataclass
class BranchSummary:
    branch: str
    commit: str
    layout: str
    tools: Counts = field(default_factory=Counts)
    templates: Counts = field(default_factory=Counts)
    # Skills created or changed (their text replaced), and those already up to date.
    skills_written: list[str] = field(default_factory=list)
    skills_unchanged: list[str] = field(default_factory=list)
    mcp: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SeedSummary:
    source: str
    dry_run: bool
    activate: bool
    branches: list[BranchSummary] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            b.tools.changed or b.templates.changed or b.skills_written for b in self.branches
        )
