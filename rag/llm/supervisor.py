"""The local LLM as a supervised child process, so that no failure of it takes the service down.

llama.cpp is native code: a segfault (its AMX path on Q4_K_M weights, ggml-org/llama.cpp#20824), an
out-of-memory kill or a hang inside it would end or freeze whatever process loaded it. So the model
runs in ``python -m rag.llm.worker`` (llama-cpp-python's OpenAI-compatible server), and the service
talks to it over HTTP exactly as to any OpenAI-compatible endpoint. :class:`LocalLLM` starts it,
waits until it is loaded, primes its prompt cache, notices when it dies or stops answering, kills a
hung one and starts a new one. Meanwhile questions are answered extractively, with a notice.

The listening socket is bound here, once, and inherited by every worker: the endpoint's address
never changes across restarts, and no other process can take the port in between.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from rag.errors import LLMError, ModelError, RagError
from rag.llm import cpu
from rag.llm.cpu import check_build
from rag.llm.gguf import check_gguf, ensure_gguf
from rag.llm.worker import KEY_ENV
from rag.settings import LLMSettings, Settings

#: Seconds between checks that the worker is still alive.
WATCH_S = 0.5
LOG_NAME = "llm-worker.log"
FIX = "the worker's log is {log}; answers are extractive meanwhile (--answerer extractive skips the LLM)"
CPU_FIX = f"{cpu.FIX}; answers are extractive meanwhile"


class LLMDownError(LLMError):
    """The local LLM cannot answer right now (restarting, failed to load): answer without it."""


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = {
            "SIGKILL": " (killed: out of memory or kill -9)",
            "SIGSEGV": " (a crash in native code)",
            "SIGILL": " (an instruction this CPU lacks: the llama.cpp build is for another CPU)",
        }
        return f"{name}{why.get(name, '')}"
    return f"exit code {code}"


class LocalLLM:
    """Owns the worker process. States: ``stopped`` (not started yet), ``loading`` (first start),
    ``ready``, ``restarting`` (after a crash or a hang), ``failed`` (it could not load; retried with a
    growing pause), ``closed``."""

    def __init__(
        self,
        settings: LLMSettings,
        cache_dir: Path,
        *,
        warm_messages: list[dict[str, str]] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.cache_dir = Path(cache_dir)
        self.warm_messages = warm_messages
        self.log_path = Path(log_dir or cache_dir) / LOG_NAME
        self.api_key = secrets.token_urlsafe(24)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self.state = "stopped"
        self.error: str | None = None
        self.fix: str | None = None  # the failed load's own fix ("copy the file again", "run make setup")
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._failures = 0
        self._retry_at = 0.0
        self._watcher: threading.Thread | None = None

    # -- the process ----------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _model_file(self) -> Path:
        if self.settings.gguf_path is not None:
            check_gguf(self.settings.gguf_path)  # the packaged file is verified by its SHA-256 instead
            return Path(self.settings.gguf_path)
        return ensure_gguf(self.cache_dir)

    def _spawn(self, model: Path) -> subprocess.Popen[bytes]:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists():  # keep the previous worker's log: it tells why that one ended
            os.replace(self.log_path, self.log_path.with_suffix(".log.1"))
        s = self.settings
        cmd = [sys.executable, "-m", "rag.llm.worker", "--model", str(model), "--fd", str(self._sock.fileno())]
        cmd += ["--n-ctx", str(s.n_ctx), "--n-threads", str(s.n_threads or os.cpu_count() or 2), "--repack", s.repack]
        cmd += ["--cpuinfo", str(s.cpuinfo)]
        with self.log_path.open("wb") as log:
            return subprocess.Popen(
                cmd,
                pass_fds=(self._sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, KEY_ENV: self.api_key},
                start_new_session=True,  # a Ctrl-C meant for the service is handled by the service
            )

    def _log_tail(self, lines: int = 3) -> str:
        """The worker log's error lines (llama.cpp's reason for refusing a model file, say), if any."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        found = [ln.strip() for ln in text.splitlines() if "error" in ln.lower() or "lacks" in ln]
        return " | ".join(found[-lines:])[-600:]

    def _launch(self) -> None:
        """Starts a worker and waits until it answers; ``LLMError`` / ``ModelError`` if it cannot."""
        check = check_build(cpuinfo=self.settings.cpuinfo)  # no process is started for a build that can't run
        if check.fits is False:
            raise LLMError(f"{check.message()}; {cpu.FIX}", hint="--answerer extractive skips the LLM meanwhile")
        model = self._model_file()
        proc = self._spawn(model)
        with self._lock:
            self._proc = proc
        deadline = time.monotonic() + self.settings.load_timeout_s
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(timeout=1.0, headers=headers) as client:
            while True:
                code = proc.poll()
                if code is not None:
                    raise LLMError(
                        f"the local LLM process could not load {model}: it ended with {describe_exit(code)}"
                        + (f": {tail}" if (tail := self._log_tail()) else ""),
                        hint=CPU_FIX if code == -signal.SIGILL else FIX.format(log=self.log_path),
                    )
                if self.state == "closed":
                    raise LLMDownError("the local LLM was closed while it loaded")
                try:
                    if client.get(f"{self.base_url}/models").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self._kill(proc)
                    raise LLMError(
                        f"the local LLM did not load {model} within {self.settings.load_timeout_s:g} s",
                        hint="raise RAG_LLM__LOAD_TIMEOUT_S; " + FIX.format(log=self.log_path),
                    )
                time.sleep(0.1)
            if self.warm_messages:  # process the fixed system prompt once (llama.cpp reuses the prefix)
                body = {"model": "local", "messages": self.warm_messages, "max_tokens": 1}
                try:
                    client.post(f"{self.base_url}/chat/completions", json=body, timeout=self.settings.load_timeout_s)
                except httpx.HTTPError as err:
                    time.sleep(0.1)
                    code = proc.poll()
                    self._kill(proc)
                    ended = f"failed ({type(err).__name__})" if code is None else f"ended with {describe_exit(code)}"
                    raise LLMError(
                        f"the local LLM process {ended} on its first prompt (model {model})"
                        + (f": {tail}" if (tail := self._log_tail()) else ""),
                        hint=FIX.format(log=self.log_path),
                    ) from None

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.kill()  # also ends a stopped (SIGSTOP) or hung process
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    # -- states ---------------------------------------------------------------------------------------
    def _set(self, state: str, error: str | None = None) -> None:
        with self._changed:
            if self.state != "closed":
                self.state, self.error = state, error
            self._changed.notify_all()

    def _run(self, first: bool) -> None:
        """One (re)start: the state ends ``ready`` or ``failed``."""
        self._set("loading" if first else "restarting", None if first else self.error)
        try:
            self._launch()
        except RagError as err:
            with self._lock:
                self._failures += 1
                self._retry_at = time.monotonic() + min(300.0, 5.0 * 2 ** (self._failures - 1))
            self.fix = err.hint
            self._set("failed", str(err.message))
            raise err if isinstance(err, LLMError) else LLMDownError(err.message, hint=err.hint) from err
        self._set("ready")
        self._ensure_watcher()

    def start(self) -> None:
        """Starts the worker and waits until it is loaded (``LLMError``/``ModelError`` if it cannot)."""
        with self._lock:
            if self.state in ("ready", "loading", "restarting", "closed"):
                return
        self._run(first=self.state == "stopped")

    def _replace(self, proc: subprocess.Popen[bytes] | None, reason: str) -> None:
        """The worker ``proc`` died or hung: count a failure and start another in the background (once,
        however many callers noticed)."""
        with self._lock:
            if proc is not self._proc or self.state not in ("ready", "failed"):
                return
            if self.state == "ready":
                self._failures += 1
            self.restarts += 1
            self.state, self.error = "restarting", reason
            delay = 0.0 if self._failures <= 1 else min(30.0, 2.0 ** (self._failures - 1))

        def run() -> None:
            time.sleep(delay)
            with contextlib.suppress(RagError):  # recorded in state/error; a question after the pause retries
                self._run(first=False)

        threading.Thread(target=run, name="rag-llm-restart", daemon=True).start()

    def _ensure_watcher(self) -> None:
        with self._lock:
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="rag-llm-watch", daemon=True)
                self._watcher.start()

    def _watch(self) -> None:
        """Notices a worker that died between questions (e.g. killed for memory) and replaces it."""
        while self.state != "closed":
            time.sleep(WATCH_S)
            proc = self._proc
            if self.state == "ready" and proc is not None and (code := proc.poll()) is not None:
                self._replace(proc, f"the local LLM process ended with {describe_exit(code)}")

    # -- what the answerer calls ----------------------------------------------------------------------
    def ensure_ready(self) -> None:
        """Returns when the worker can take a question; waits for a first load in progress; raises
        ``LLMDownError`` (the reason, for the answer's notice) while it restarts or after it failed."""
        with self._changed:
            if self.state == "loading":
                self._changed.wait_for(lambda: self.state != "loading", timeout=self.settings.load_timeout_s + 5)
            state = self.state
        if state == "stopped":
            self.start()
            return
        proc = self._proc
        if state == "ready" and proc is not None and (code := proc.poll()) is not None:
            self._replace(proc, f"the local LLM process ended with {describe_exit(code)}")
            state = self.state
        if state == "ready":
            return
        if state == "failed" and time.monotonic() >= self._retry_at:
            self._replace(proc, self.error or "it failed to load")
        reason = self.error or state
        if state == "failed" and reason.startswith("the local LLM"):
            message = reason  # it names the LLM already ("the local LLM model file … is truncated")
        else:
            message = f"the local LLM is {'restarting' if state != 'failed' else 'unavailable'}: {reason}"
        raise LLMDownError(message, hint=self._fix(state))

    def report_success(self) -> None:
        self._failures = 0

    def report_failure(self, err: BaseException) -> LLMError:
        """After a question failed in the worker: why (it died, it hung, it refused), and a restart of
        the worker unless it simply returned an error. Returns the error for the answer's notice."""
        proc = self._proc
        time.sleep(0.05)  # a worker killed mid-reply: its exit status is due
        code = proc.poll() if proc is not None else None
        name = type(err).__name__
        timed_out = "Timeout" in name or "timed out" in str(err).lower()
        if code is not None:
            why = f"the local LLM process ended with {describe_exit(code)} during the answer; it is being restarted"
        elif timed_out:
            why = (
                f"the local LLM did not answer within {self.settings.timeout_s:g} s (RAG_LLM__TIMEOUT_S): "
                "it was stopped and is being restarted"
            )
            if proc is not None:
                self._kill(proc)
        else:
            return LLMError(f"the local LLM failed: {name}: {err}", hint=FIX.format(log=self.log_path))
        self._replace(proc, why)
        return LLMError(why, hint=FIX.format(log=self.log_path))

    def notice(self) -> str | None:
        """Why it cannot answer now, with the fix (what an edge says once); None while it can or loads."""
        if self.state != "failed":
            return None
        return str(LLMDownError(self.error or "it failed to load", hint=self._fix(self.state)))

    def _fix(self, state: str) -> str:
        return (self.fix if state == "failed" else None) or FIX.format(log=self.log_path)

    def info(self) -> dict[str, Any]:
        return {"state": self.state, "error": self.error, "restarts": self.restarts, "pid": self.pid}

    def close(self) -> None:
        with self._changed:
            self.state = "closed"
            self._changed.notify_all()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._kill(proc)
        self._sock.close()


def make_local(settings: Settings, warm: Callable[[], list[dict[str, str]]] | None = None) -> LocalLLM:
    """The supervisor for these settings (not started: :meth:`LocalLLM.start` or the first question)."""
    return LocalLLM(settings.llm, settings.embedding.cache_dir, warm_messages=warm() if warm else None)


__all__ = ["LLMDownError", "LocalLLM", "ModelError", "describe_exit", "make_local"]
