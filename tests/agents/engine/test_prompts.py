"""The system message a step sends: the template's prompt, the request's user context,
then the user's own instructions."""

from __future__ import annotations

from agents.engine.prompts import (
    USER_CONTEXT_HEADING,
    USER_INSTRUCTIONS_HEADING,
    render_prompt,
    system_prompt,
)

TEMPLATE = "You are a researcher. Tools:\n{available_tools}"


def test_without_user_context_or_instructions_the_prompt_is_the_templates():
    assert system_prompt(TEMPLATE, available_tools="- search") == (
        "You are a researcher. Tools:\n- search"
    )
    assert USER_CONTEXT_HEADING not in system_prompt(TEMPLATE, available_tools="", user_context={})


def test_the_user_context_follows_the_template_and_precedes_the_instructions():
    prompt = system_prompt(
        TEMPLATE,
        available_tools="- search",
        instructions="Answer in French.",
        user_context={"name": "Ann", "city": "Oslo"},
    )
    assert prompt == (
        "You are a researcher. Tools:\n- search"
        + USER_CONTEXT_HEADING
        + "- name: Ann\n- city: Oslo"
        + USER_INSTRUCTIONS_HEADING
        + "Answer in French."
    )


def test_values_that_are_not_strings_are_shown_as_json():
    prompt = system_prompt(
        "{available_tools}",
        available_tools="",
        user_context={"plan": "pro", "seats": 3, "roles": ["admin", "ops"], "vip": True},
    )
    assert prompt.endswith('- plan: pro\n- seats: 3\n- roles: ["admin", "ops"]\n- vip: true')


def test_a_prompt_that_places_the_user_context_gets_it_there_and_only_there():
    template = "About the user:\n{user_context}\n\nTools:\n{available_tools}"
    prompt = system_prompt(template, available_tools="- search", user_context={"name": "Ann"})
    assert prompt == "About the user:\n- name: Ann\n\nTools:\n- search"
    # and nothing when the request told nothing about the user
    assert system_prompt(template, available_tools="- search") == (
        "About the user:\n\n\nTools:\n- search"
    )


def test_a_prompt_with_stray_braces_still_gets_the_user_context():
    prompt = system_prompt("Reply as JSON like {", available_tools="", user_context={"a": "b"})
    assert prompt == "Reply as JSON like {" + USER_CONTEXT_HEADING + "- a: b"


def test_unknown_placeholders_are_left_as_they_are():
    assert render_prompt("{task} on {current_date} for {someone}", task="T").startswith("T on ")
    assert render_prompt("{someone}") == "{someone}"
