"""LLM policies: ``streaming`` is dropped (nothing ever read it: upstream calls are not
streamed), ``max_tokens_on_truncation`` is added, and ``structured_output`` defaults to
``auto``. Every stored policy holds ``json_schema`` only because it was the default (policies
are stored with their defaults), and ``auto`` tries ``json_schema`` first, so those become
``auto``: servers that accept ``json_schema`` see no change, the others are negotiated.
Content hashes are recomputed so equal content keeps hashing equal."""

import hashlib
import json

from django.db import migrations

_CONTENT_FIELDS = (
    "flavour",
    "system_prompt",
    "initial_user_prompt",
    "clarification_prompt",
    "llm_policy",
    "execution_policy",
    "tool_policy",
    "rules",
    "capabilities",
    "tags",
)


def _hash(version):
    content = {name: getattr(version, name) for name in _CONTENT_FIELDS}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def forwards(apps, schema_editor):
    versions = apps.get_model("catalog", "AgentTemplateVersion")
    for version in versions.objects.order_by("pk"):
        policy = dict(version.llm_policy or {})
        policy.pop("streaming", None)
        if policy.get("structured_output", "json_schema") == "json_schema":
            policy["structured_output"] = "auto"
        policy.setdefault("max_tokens_on_truncation", 0)
        if policy == version.llm_policy:
            continue
        version.llm_policy = policy
        digest = _hash(version)
        # Two versions that differed only in ``streaming`` now hold equal content: the later
        # one keeps its old hash rather than break the (template, hash) uniqueness.
        taken = versions.objects.filter(template_id=version.template_id, content_hash=digest)
        if not taken.exclude(pk=version.pk).exists():
            version.content_hash = digest
        version.save(update_fields=["llm_policy", "content_hash"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
