"""API key lifecycle: issue, revoke, note use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from catalog.policies import RISK_ORDER
from gateway.models import ApiKey
from maruntime.errors import InvalidInput, NotFound

KEY_SCHEME = "mrt"
PREFIX_BYTES = 6  # 12 hex characters: the public id
SECRET_BYTES = 32  # 256 random bits
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its plain text, which exists only here: it is shown once, never stored."""

    api_key: ApiKey
    plain: str


def key_digest(plain: str) -> str:
    """SHA-256 of the whole key (see gateway.models for why no slow KDF)."""
    return hashlib.sha256(plain.encode()).hexdigest()


def key_prefix(plain: str) -> str | None:
    """The public prefix of a well-formed key, else None."""
    scheme, _, rest = plain.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != PREFIX_BYTES * 2 or not secret:
        return None
    return prefix


def _names(raw: list[str] | None) -> list[str]:
    return sorted({name.strip() for name in raw or [] if name.strip()})


def _model_names(raw: list[str] | None) -> list[str]:
    names = _names(raw)
    for name in names:
        if "@" in name:
            raise InvalidInput(f"scope names a model without a version: {name!r}")
    return names


@transaction.atomic
def api_key_create(
    *,
    name: str,
    owner: str = "",
    templates: list[str] | None = None,
    is_admin: bool = False,
    requests_per_minute: int = 0,
    tokens_per_day: int = 0,
    concurrent_runs: int = 0,
    tools_allow: list[str] | None = None,
    tools_deny: list[str] | None = None,
    tool_risk_ceiling: str = "critical",
    expires_at: datetime | None = None,
) -> IssuedKey:
    """Issue a key; its owner defaults to ``key_<prefix>`` (sessions private to this key).
    ``tools_allow`` empty means any tool; see ``ApiKey`` for the tool scope. A key with
    ``expires_at`` answers 401 from then on."""
    if not name.strip():
        raise InvalidInput("a key needs a name", param="name")
    if len(owner) > 100:
        raise InvalidInput("owner is at most 100 characters", param="owner")
    if min(requests_per_minute, tokens_per_day, concurrent_runs) < 0:
        raise InvalidInput("limits are non-negative (0 means unlimited)")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("a key cannot expire in the past", param="expires_at")
    if tool_risk_ceiling not in RISK_ORDER:
        raise InvalidInput(
            f"tool risk ceiling is one of {', '.join(RISK_ORDER)}, not {tool_risk_ceiling!r}",
            param="tool_risk_ceiling",
        )
    prefix = secrets.token_hex(PREFIX_BYTES)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(PREFIX_BYTES)
    plain = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    api_key = ApiKey.objects.create(
        prefix=prefix,
        secret_hash=key_digest(plain),
        name=name.strip(),
        owner=owner or f"key_{prefix}",
        templates=_model_names(templates),
        is_admin=is_admin,
        requests_per_minute=requests_per_minute,
        tokens_per_day=tokens_per_day,
        concurrent_runs=concurrent_runs,
        tools_allow=_names(tools_allow),
        tools_deny=_names(tools_deny),
        tool_risk_ceiling=tool_risk_ceiling,
        expires_at=expires_at,
    )
    return IssuedKey(api_key=api_key, plain=plain)


@transaction.atomic
def api_key_revoke(*, prefix: str) -> ApiKey:
    """Revoke for good (idempotent); the next request with this key answers 401."""
    api_key = ApiKey.objects.select_for_update().filter(prefix=prefix).first()
    if api_key is None:
        raise NotFound(f"No API key with prefix '{prefix}'")
    if not api_key.revoked:
        api_key.revoked = True
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked", "revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Note the key's use, at most once a minute (not a write on every request)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
