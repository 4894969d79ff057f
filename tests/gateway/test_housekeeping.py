"""Recognising front-ends' housekeeping requests by their default prompts."""

from __future__ import annotations

import pytest

from gateway.housekeeping import recognise

OPEN_WEBUI_TITLE = """### Task:
Generate a concise title summarizing the chat history.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: What's the weather in Oslo?
ASSISTANT: Sunny.
</chat_history>"""
OPEN_WEBUI_FOLLOW_UPS = OPEN_WEBUI_TITLE.replace(
    "Generate a concise title summarizing the chat history.",
    "Predict 3-5 useful messages this user might naturally send next.",
)
LIBRECHAT_TITLE = (
    "Provide a concise, 5-word-or-less title for the conversation, using title case "
    "conventions. Only return the title itself.\n\nConversation:\nUser: hi\nAI: hello"
)
LOBECHAT_TITLE_SYSTEM = (
    "You are a professional conversation summarizer. Generate a concise title that "
    "captures the essence of the conversation."
)


@pytest.mark.parametrize(
    ("messages", "front_end", "task"),
    [
        ([{"role": "user", "content": OPEN_WEBUI_TITLE}], "open-webui", "task"),
        ([{"role": "user", "content": OPEN_WEBUI_FOLLOW_UPS}], "open-webui", "task"),
        (
            [{"role": "user", "content": [{"type": "text", "text": OPEN_WEBUI_TITLE}]}],
            "open-webui",
            "task",
        ),
        ([{"role": "user", "content": LIBRECHAT_TITLE}], "librechat", "title"),
        (
            [
                {"role": "system", "content": LOBECHAT_TITLE_SYSTEM},
                {"role": "user", "content": "user: hi\nassistant: hello"},
            ],
            "lobechat",
            "title",
        ),
    ],
)
def test_the_front_ends_default_prompts_are_recognised(messages, front_end, task):
    kind = recognise(messages)
    assert kind is not None and (kind.front_end, kind.task) == (front_end, task)


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "What's the weather in Oslo?"}],
        # a prompt quoted inside the conversation, not the request itself
        [
            {"role": "user", "content": OPEN_WEBUI_TITLE},
            {"role": "assistant", "content": "That looks like a prompt."},
            {"role": "user", "content": "Explain it"},
        ],
        [{"role": "user", "content": "### Task: write a poem"}],
        "not a list",
        [],
    ],
)
def test_ordinary_requests_are_not_housekeeping(messages):
    assert recognise(messages) is None
