"""The caller's tool scope: what it keeps out, and how two scopes combine."""

from catalog.policies import ToolScope


def test_an_empty_scope_permits_every_tool():
    scope = ToolScope()
    assert scope.unrestricted
    assert scope.refusal("web_search", "critical") is None


def test_deny_allow_and_ceiling_each_keep_a_tool_out():
    assert ToolScope(deny=["web_search"]).refusal("web_search", "low") == "denied to the caller"
    assert ToolScope(allow=["final_answer"]).refusal("web_search", "low") == (
        "not in the caller's allowed tools"
    )
    assert ToolScope(allow=[]).refusal("final_answer", "low") is not None
    assert "ceiling" in (ToolScope(risk_ceiling="medium").refusal("shell", "high") or "")
    assert ToolScope(risk_ceiling="medium").refusal("fetch", "medium") is None


def test_narrowing_keeps_the_stricter_of_both():
    first = ToolScope(allow=["a", "b"], deny=["x"], risk_ceiling="high")
    second = ToolScope(allow=["b", "c"], deny=["y"], risk_ceiling="medium")
    both = first.narrowed(second)
    assert both == ToolScope(allow=["b"], deny=["x", "y"], risk_ceiling="medium")
    assert ToolScope().narrowed(second) == second.model_copy(update={"deny": ["y"]})
    assert first.narrowed(ToolScope(allow=["c"])).allow == []
