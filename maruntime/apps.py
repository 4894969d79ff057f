from django.apps import AppConfig


class MaruntimeConfig(AppConfig):
    """Process-wide wiring that belongs to no app: tracing, and on the gateway surface the
    request cycle without Django's sync per-request receivers."""

    name = "maruntime"
    verbose_name = "maruntime"

    def ready(self) -> None:
        from django.conf import settings

        from maruntime.asyncdb import detach_request_connection_handling
        from maruntime.tracing import configure_tracing

        configure_tracing(surface=settings.MARUNTIME_SURFACE)
        if settings.MARUNTIME_SURFACE == "gateway":
            detach_request_connection_handling()
