from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents runtime"

    def ready(self) -> None:
        # Importing the implementations registers them in BUILTIN_TOOLS.
        from agents.tools import discovery, memory, search_providers  # noqa: F401
        from agents.tools.builtin import BUILTIN_TOOLS
        from catalog.bindings import register_python_entrypoint

        for name in BUILTIN_TOOLS:
            register_python_entrypoint(name)
