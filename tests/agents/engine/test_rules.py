from agents.engine.rules import apply_rules
from catalog.builtin import limit_rules
from catalog.policies import Rule

TOOLS = [
    "clarification",
    "create_report",
    "final_answer",
    "generate_plan",
    "reasoning",
    "web_search",
]
RULES = tuple(
    Rule.model_validate(r)
    for r in limit_rules(max_iterations=5, max_clarifications=1, max_searches=2)
)


def test_nothing_fires_at_the_start():
    outcome = apply_rules(RULES, TOOLS, {"iteration": 0})
    assert outcome.tools == TOOLS and outcome.fired == [] and outcome.stage == ""


def test_exhausted_searches_drop_web_search_only():
    outcome = apply_rules(RULES, TOOLS, {"iteration": 3, "searches_used": 2})
    assert "web_search" not in outcome.tools and "generate_plan" in outcome.tools
    assert outcome.excluded == {"web_search": "searches exhausted"}


def test_exhausted_clarifications_drop_clarification():
    outcome = apply_rules(RULES, TOOLS, {"clarifications_used": 1})
    assert "clarification" not in outcome.tools


def test_exhausted_iterations_keep_only_report_and_answer_and_set_the_stage():
    outcome = apply_rules(RULES, TOOLS, {"iteration": 5})
    assert outcome.tools == ["create_report", "final_answer", "reasoning"]
    assert outcome.stage == "finishing"


def test_rules_compose_and_conditions_on_stage():
    rules = (
        *RULES,
        Rule.model_validate({"when": {"stage": "finishing"}, "exclude": ["create_report"]}),
    )
    outcome = apply_rules(rules, TOOLS, {"iteration": 9, "searches_used": 9})
    assert outcome.tools == ["final_answer", "reasoning"]
    assert outcome.excluded["create_report"] == "rule 4"  # kept by the limit, dropped by stage


def test_lt_bounds():
    rule = Rule.model_validate({"when": {"iteration_lt": 1}, "keep_only": ["generate_plan"]})
    assert apply_rules((rule,), TOOLS, {"iteration": 0}).tools == ["generate_plan", "reasoning"]
    assert apply_rules((rule,), TOOLS, {"iteration": 1}).tools == TOOLS
