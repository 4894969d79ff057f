"""Shared fixtures. Tests run against the real PostgreSQL (embedded or ``DATABASE_URL``)."""

pytest_plugins = ["tests.fakes.fixtures", "tests.runtime"]
