"""ASGI entry point: HTTP goes to Django; the ``runtime.pool`` channel to the pool consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maruntime.settings")
django_application = get_asgi_application()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter  # noqa: E402

from agents.runtime.consumer import POOL_CHANNEL, PoolConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "channel": ChannelNameRouter({POOL_CHANNEL: PoolConsumer.as_asgi()}),
    }
)
