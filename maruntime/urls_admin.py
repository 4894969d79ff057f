"""The admin surface: Django admin site, the admin CRUD API, its OpenAPI schema and docs.

The docs page is Swagger UI from drf-spectacular-sidecar, served from the installed package
by this URLconf, so it works offline and without ``collectstatic``.
"""

from __future__ import annotations

from pathlib import Path

import drf_spectacular_sidecar
from django.contrib import admin
from django.urls import include, path, re_path, reverse
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

SWAGGER_UI_DIR = (
    Path(drf_spectacular_sidecar.__file__).parent
    / "static"
    / "drf_spectacular_sidecar"
    / "swagger-ui-dist"
)


class AdminAPIDocsView(SpectacularSwaggerView):
    url_name = "admin-api-schema"

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return reverse("admin-api-docs-asset", kwargs={"path": filename})

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return reverse("admin-api-docs-asset", kwargs={"path": "favicon-32x32.png"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/admin/schema/",
        SpectacularAPIView.as_view(),
        name="admin-api-schema",
    ),
    path("api/admin/docs/", AdminAPIDocsView.as_view(), name="admin-api-docs"),
    re_path(
        r"^api/admin/docs/assets/(?P<path>[\w.\-]+)$",
        serve,
        {"document_root": SWAGGER_UI_DIR},
        name="admin-api-docs-asset",
    ),
    path("api/admin/", include("catalog.api.urls")),
    path("api/admin/", include("agents.api.urls")),
    path("api/admin/", include("retrieval.api.urls")),
]

# Errors no view rendered: JSON in each API's format (maruntime.error_pages).
handler400 = "maruntime.error_pages.bad_request"
handler404 = "maruntime.error_pages.page_not_found"
handler500 = "maruntime.error_pages.server_error"
