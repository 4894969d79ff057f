"""An HTTP endpoint with a side effect: every call is recorded in a ledger with its
``Idempotency-Key``, so a test (or ``bench/chaos.py``) can tell a call made twice from a
call made once, and whether a repeat carried the same key.

    with EffectLedger(delay=0.3) as ledger:
        ...  # an http-bound tool whose binding url is ledger.url (127.0.0.1 allow-listed)
        assert [c.key for c in ledger.calls] == [...]

``hold()`` makes the next calls wait (after they are recorded) until ``release()``: the
effect has happened, the caller has no answer yet, as when its worker dies mid-call.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class EffectCall:
    key: str
    body: dict[str, Any]
    at: float  # time.monotonic() on arrival


@dataclass(eq=False)
class EffectLedger:
    """The ledger server on 127.0.0.1 (a background thread); ``delay`` before answering."""

    delay: float = 0.0
    calls: list[EffectCall] = field(default_factory=list, init=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, init=False)
    _released: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        self._released.set()
        ledger = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                with ledger._lock:
                    seen = any(call.key == key for call in ledger.calls if key)
                    ledger.calls.append(EffectCall(key, body, time.monotonic()))
                    ledger._lock.notify_all()
                ledger._released.wait(30)
                time.sleep(ledger.delay)
                answer = json.dumps({"recorded": True, "seen_before": seen}).encode()
                # The caller may be gone (its worker died): the effect stays recorded.
                with contextlib.suppress(OSError):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/effect"

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for_calls(self, n: int, timeout: float = 20.0) -> None:
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.calls) >= n, timeout):
                raise AssertionError(f"the ledger got {len(self.calls)} call(s), expected {n}")

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EffectLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
