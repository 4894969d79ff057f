from django.urls import path

from gateway.views import catalog, chat, schema, sessions, tools

urlpatterns = [
    path("v1/chat/completions", chat.chat_completions),
    path("v1/models", catalog.models_list),
    path("v1/models/<path:model>", catalog.model_detail),
    path("v1/sessions", sessions.sessions_index),
    path("v1/sessions/<str:session_id>", sessions.session_detail),
    path("v1/sessions/<str:session_id>/events", sessions.session_events),
    path("v1/sessions/<str:session_id>/cancel", sessions.session_cancel_view),
    path("v1/sessions/<str:session_id>/approval", sessions.session_approval),
    path("v1/sessions/<str:session_id>/fork", sessions.session_fork_view),
    path("v1/sessions/<str:session_id>/artifacts/<str:artifact_id>", sessions.session_artifact),
    path("v1/sessions/<str:session_id>/memory", sessions.session_memory_view),
    path("v1/sessions/<str:session_id>/memory/<path:path>", sessions.session_memory_file_view),
    path("v1/tools", tools.tools_list),
    path("v1/tools/search", tools.tools_search),
    path("v1/agents/search", tools.agents_search),
    path("v1/openapi.json", schema.openapi_json),
]
