from django.urls import path

from retrieval.api.views import AgentSearchView, ToolSearchView

urlpatterns = [
    path("search/tools/", ToolSearchView.as_view(), name="admin-search-tools"),
    path("search/agents/", AgentSearchView.as_view(), name="admin-search-agents"),
]
