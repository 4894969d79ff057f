"""Routes of the runtime admin API, mounted under ``/api/admin/``."""

from rest_framework.routers import SimpleRouter

from agents.api import views

router = SimpleRouter()
router.register("sessions", views.SessionViewSet, basename="admin-session")
router.register("instances", views.AgentInstanceViewSet, basename="admin-instance")
router.register(
    "upstream-capabilities", views.UpstreamCapabilityViewSet, basename="admin-upstream-capability"
)

urlpatterns = router.urls
