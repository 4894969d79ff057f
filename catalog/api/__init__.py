"""The catalog's part of the admin CRUD API (``/api/admin/``)."""
