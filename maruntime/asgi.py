"""ASGI entry point: HTTP goes to Django; the ``runtime.pool`` channel to the pool consumer.

On the surfaces that serve the admin site, ``/static/*`` is answered in front of Django by
staticfiles' ASGI handler, from the installed apps' files (no ``collectstatic`` needed),
with DEBUG on or off. Every other path goes to Django untouched, so ``/v1`` gains no
middleware and no thread hop. Deployments may still put nginx in front for ``/static/``
(deploy/): it then answers those requests itself and this layer never sees them.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maruntime.settings")
django_application = get_asgi_application()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from agents.runtime.consumer import POOL_CHANNEL, PoolConsumer  # noqa: E402

http_application = (
    django_application
    if settings.MARUNTIME_SURFACE == "gateway"
    else ASGIStaticFilesHandler(django_application)
)

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "channel": ChannelNameRouter({POOL_CHANNEL: PoolConsumer.as_asgi()}),
    }
)
