"""llama-cpp-python's OpenAI-compatible server as a subprocess on a free loopback port.

``make llama-server`` installs it (``requirements.txt`` beside this file) into its own venv
under the cache; this module finds that venv, starts the server on a model from
``tests.real_servers.models`` and stops it::

    with LlamaServer("smollm2", chat_format="chatml-function-calling") as server:
        ...  # point OPENAI_BASE_URL at server.base_url

The server is started the way a user would start it, with no model alias: maruntime's
requests name whatever ``OPENAI_MODEL`` says and a single-model server answers them all.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tests.real_servers.models import cache_dir, model_path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
# llama.cpp's two handlers for chat models: the one the GGUF's own chat template implies,
# and the one that implements OpenAI tool calling (``tool_choice``) by prompting + grammar.
DEFAULT_HANDLER = "default"
FUNCTION_CALLING_HANDLER = "chatml-function-calling"
CHAT_HANDLERS = (DEFAULT_HANDLER, FUNCTION_CALLING_HANDLER)
CONTEXT_TOKENS = 8192
START_TIMEOUT_SECONDS = 120.0


def llama_cpp_version() -> str:
    """The pinned ``llama-cpp-python`` version (the Makefile reads the same line)."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("llama-cpp-python"):
            return line.split("==")[1].strip()
    raise RuntimeError(f"{REQUIREMENTS} pins no llama-cpp-python")


def server_venv() -> Path:
    return cache_dir() / f"llama-cpp-python-{llama_cpp_version()}"


def unavailable_reason(model: str) -> str | None:
    """Why a server on ``model`` cannot start here (None: it can)."""
    if not (server_venv() / ".installed").exists():
        return (
            f"llama-cpp-python's server is not built in {server_venv()}: `make test-real` "
            "builds it (about 13 minutes on 2 cores the first time) and runs these tests"
        )
    if not model_path(model).exists():
        return f"model {model} is not in the cache: `make llama-models` fetches it"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LlamaServer:
    """One ``python -m llama_cpp.server`` process; its output goes to ``log_path``."""

    def __init__(
        self, model: str, *, chat_format: str = DEFAULT_HANDLER, threads: int | None = None
    ) -> None:
        reason = unavailable_reason(model)
        if reason is not None:
            raise RuntimeError(reason)
        self.model = model
        self.chat_format = chat_format
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = Path(tempfile.mkstemp(prefix=f"llama-{model}-", suffix=".log")[1])
        self._threads = threads or os.cpu_count() or 1
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> LlamaServer:
        command = [
            str(server_venv() / "bin" / "python"),
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path(self.model)),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(CONTEXT_TOKENS),
            "--n_threads",
            str(self._threads),
        ]
        if self.chat_format != DEFAULT_HANDLER:
            command += ["--chat_format", self.chat_format]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama.cpp server did not start in time:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
