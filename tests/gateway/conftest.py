"""The in-process runtime and its fault injection, shared with the runtime's tests."""

from tests.agents.runtime.conftest import (  # noqa: F401  (fixture re-exports)
    _test_thread_reconnects,
    database_outage,
    own_redis,
    runtime_settings,
    serving,
)
