from django.apps import AppConfig


class MaruntimeConfig(AppConfig):
    """Process-wide wiring that belongs to no app: tracing."""

    name = "maruntime"
    verbose_name = "maruntime"

    def ready(self) -> None:
        from django.conf import settings

        from maruntime.tracing import configure_tracing

        configure_tracing(surface=settings.MARUNTIME_SURFACE)
