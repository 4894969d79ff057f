"""Fixtures for the fake upstreams (filled in by tests/fakes)."""
