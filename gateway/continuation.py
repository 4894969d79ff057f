"""Which session a stateless client's conversation continues.

A request continues a session when its earlier messages are that session's transcript as
the client saw it: everything before the last assistant message hashes to the transcript
a run of the session started with, that run is still the session's latest turn, and the
assistant message is the run's reply. The owner and the model must be the same. When
several sessions qualify, the one the front-end's conversation header names is preferred,
then the most recent turn. See docs/api.md ("Conversations").
"""

from __future__ import annotations

import uuid

from agents.conversations import comparable_text
from agents.selectors import LatestTurn, latest_turns_with_transcript
from gateway.chunks import EventView, reader_text
from gateway.requests import ChatRequest


def _reply_matches(turn: LatestTurn, reply: str) -> bool:
    if turn.reply is None:
        return False
    return comparable_text(reader_text(EventView(*turn.reply))) == comparable_text(reply)


def continued_session(chat: ChatRequest, *, owner: str) -> uuid.UUID | None:
    """The session ``chat`` continues, or None when it starts a new one (sync: ORM)."""
    if chat.last_reply is None or not chat.reply_prefix_hash:
        return None
    # A version pin is not compared: a conversation goes on with the version it pinned.
    model = chat.model.partition("@")[0]
    candidates = [
        turn
        for turn in latest_turns_with_transcript(
            owner=owner, transcript_hash=chat.reply_prefix_hash
        )
        if turn.model == model
    ]
    key = chat.conversation.key
    # Stable sort: the named conversation's turns first, each group newest first.
    candidates.sort(key=lambda turn: not (key and turn.conversation_key == key))
    for turn in candidates:
        if _reply_matches(turn, chat.last_reply):
            return turn.session_id
    return None
