"""All-in-one URLconf: the gateway surface and the admin surface in one process."""

from maruntime.urls_admin import urlpatterns as admin_urlpatterns
from maruntime.urls_gateway import urlpatterns as gateway_urlpatterns

urlpatterns = gateway_urlpatterns + admin_urlpatterns
