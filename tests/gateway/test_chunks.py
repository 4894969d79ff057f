"""What the "thinking" pane shows of the session's events."""

from gateway.chunks import EventView, reasoning_text


def test_a_re_ask_is_shown_with_its_reason_and_problem():
    retry = {
        "reason": "truncated",
        "attempt": 1,
        "mode": "json_object",
        "problem": "the reply was cut off at max_tokens=50 (finish_reason: length)",
        "usage": {"prompt": 10, "completion": 50},
    }
    text = reasoning_text(EventView(seq=4, type="llm_retry", step=2, payload=retry, run_id=1))
    assert text == (
        "Asking the model again (truncated): the reply was cut off at max_tokens=50 "
        "(finish_reason: length)\n"
    )
