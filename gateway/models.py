"""API keys for the ``/v1`` surface: who may call, which models, how much.

A key reads ``mrt_<prefix>_<secret>``. The prefix is public (shown in the admin, logs and
the ``revoke_api_key`` command) and finds the row; only a SHA-256 digest of the whole key
is stored. The secret is 256 random bits, so a slow password KDF (or a pepper) would buy
nothing: nobody can brute-force that space, and a plain digest keeps lookups cheap on every
request and survives a ``SECRET_KEY`` rotation.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from catalog.policies import RISK_ORDER, ToolScope


class ApiKey(models.Model):
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=200)
    # The opaque owner string sessions carry (agents.Session.owner): "key_<prefix>" for a
    # key of its own, or a tenant name shared by several keys, which then see each other's
    # sessions.
    owner = models.CharField(max_length=100, db_index=True)
    # Model names (templates or pipelines, as /v1/models lists them) this key may use;
    # empty means all.
    templates = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    # Tools its searches find and its sessions may be offered (catalog.policies.ToolScope):
    # empty ``tools_allow`` means any tool; the default ceiling restricts nothing.
    tools_allow = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    tools_deny = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    tool_risk_ceiling = models.CharField(
        max_length=10, choices=[(level, level) for level in RISK_ORDER], default="critical"
    )
    # May read every session (writes still happen under its own owner).
    is_admin = models.BooleanField(default=False)
    # 0 means unlimited.
    requests_per_minute = models.PositiveIntegerField(default=0)
    tokens_per_day = models.PositiveBigIntegerField(default=0)
    concurrent_runs = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # After this moment the key answers 401 (null: it does not expire).
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked=False) | models.Q(revoked_at__isnull=False),
                name="apikey_revoked_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (mrt_{self.prefix}_…)"

    def tool_scope(self) -> ToolScope:
        return ToolScope(
            allow=list(self.tools_allow) or None,
            deny=list(self.tools_deny),
            risk_ceiling=self.tool_risk_ceiling,  # type: ignore[arg-type]
        )
