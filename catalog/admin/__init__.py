"""The Django admin site for the catalog.

Versions are immutable: their change pages are read-only and "editing" one opens the add
form pre-filled from it (``?from=<pk>``), which creates a new version through the service.
Entries (tools, templates, pipelines) are created and updated through ``*_upsert``. Nothing
here deletes: retiring an entry means deactivating its version. Add forms check content
with the same rules the services apply, so a refused entry shows as a form error.

Shared pieces: ``rendering`` (read-only views of JSON and schemas), ``filters`` (list
filters) and ``base`` (entry and version admins, the version add form). Each of ``tools``,
``templates``, ``pipelines`` and ``skills`` registers the admins of its entity; importing
them here is what registers them when Django autodiscovers ``catalog.admin``.
"""

from catalog.admin import pipelines, skills, templates, tools
from catalog.admin.rendering import schema_parameters

__all__ = ["pipelines", "schema_parameters", "skills", "templates", "tools"]
