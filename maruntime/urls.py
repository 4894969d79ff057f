"""All-in-one URLconf: the gateway surface and the admin surface in one process."""

from maruntime.urls_admin import urlpatterns as admin_urlpatterns
from maruntime.urls_gateway import urlpatterns as gateway_urlpatterns

urlpatterns = gateway_urlpatterns + admin_urlpatterns

# Errors no view rendered: JSON in each API's format (maruntime.error_pages).
handler400 = "maruntime.error_pages.bad_request"
handler404 = "maruntime.error_pages.page_not_found"
handler500 = "maruntime.error_pages.server_error"
