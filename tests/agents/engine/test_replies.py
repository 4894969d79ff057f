"""Tolerant reading of replies: the JSON object a model meant, whatever it wrapped it in."""

from __future__ import annotations

import re

import pytest

from agents.engine.replies import ReplyUnreadable, json_object_in, tool_call_in


@pytest.mark.parametrize(
    "text",
    [
        '{"answer": "42"}',
        'Here you go:\n```json\n{"answer": "42"}\n```',
        '<tool_call>\n{"answer": "42"}\n</tool_call>',
        '{"answer": "42"}\n\n\n   ',  # grammar-constrained output padded to max_tokens
    ],
)
def test_the_object_is_found_in_prose_fences_and_tags(text):
    assert json_object_in(text) == {"answer": "42"}


def test_raw_control_characters_inside_strings_are_read():
    assert json_object_in('{"answer": "line one\nline two\tend"}') == {
        "answer": "line one\nline two\tend"
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the reply is empty"),
        ("I cannot do that.", "holds no JSON object"),
        ('{"answer": "cut', "not valid JSON: Unterminated string starting at: line 1 column 12"),
        ("[1, 2]", "holds no JSON object"),
    ],
)
def test_unreadable_replies_say_why(text, problem):
    with pytest.raises(ReplyUnreadable, match=re.escape(problem)):
        json_object_in(text)


def test_tool_calls_written_as_text_are_read_when_they_name_an_offered_tool():
    text = '<tool_call>{"name": "final_answer", "arguments": {"answer": "hi"}}</tool_call>'
    call = tool_call_in(text, {"final_answer"})
    assert call is not None and (call.name, call.arguments) == ("final_answer", {"answer": "hi"})
    stringified = '{"name": "final_answer", "arguments": "{\\"answer\\": \\"hi\\"}"}'
    assert tool_call_in(stringified, {"final_answer"}) is not None
    assert tool_call_in(text, {"web_search"}) is None
    assert tool_call_in("Just prose.", {"final_answer"}) is None
