"""Routes of the catalog admin API, mounted under ``/api/admin/``."""

from rest_framework.routers import SimpleRouter

from catalog.api import views

NAME = views.NAME_REGEX

router = SimpleRouter()
router.register("tools", views.ToolViewSet, basename="admin-tool")
router.register(
    rf"tools/(?P<tool_name>{NAME})/versions",
    views.ToolVersionViewSet,
    basename="admin-tool-version",
)
router.register("templates", views.TemplateViewSet, basename="admin-template")
router.register(
    rf"templates/(?P<template_name>{NAME})/versions",
    views.TemplateVersionViewSet,
    basename="admin-template-version",
)
router.register("pipelines", views.PipelineViewSet, basename="admin-pipeline")
router.register(
    rf"pipelines/(?P<pipeline_name>{NAME})/versions",
    views.PipelineVersionViewSet,
    basename="admin-pipeline-version",
)

urlpatterns = router.urls
