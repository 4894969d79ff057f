"""Admin of skills (``SKILL.md`` instructions an agent loads with ``use_skill``): seeded from
a repository or written here, both through ``services.skill_upsert``. Not versioned: saving
replaces the text, which the next ``use_skill`` call reads."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from catalog import services
from catalog.models import Skill


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "source_repo", "updated_at")
    search_fields = ("name", "description", "content")
    fields = ("name", "description", "content", "source_repo", "source_path", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        provenance = ("source_repo", "source_path", "updated_at")
        return ("name", *provenance) if obj else provenance

    def save_model(self, request: HttpRequest, obj: Skill, form: ModelForm, change: bool) -> None:
        saved, _ = services.skill_upsert(
            name=obj.name,
            description=form.cleaned_data["description"],
            content=form.cleaned_data["content"],
            provenance={"source_repo": obj.source_repo, "source_path": obj.source_path},
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
