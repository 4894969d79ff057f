"""The runtime's read-only part of the admin API (``/api/admin/``): sessions, instances."""
