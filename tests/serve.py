"""`rag serve` as a real subprocess on a free loopback port, for the process and browser tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

RAG = [sys.executable, "-m", "rag.cli"]
ENV = {**os.environ, "RAG_ANSWER__ANSWERER": "extractive"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """Starts ``rag serve --index INDEX`` and waits until ``/healthz`` says ready."""

    def __init__(self, index: Path, log: Path, timeout: float = 180, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("a") as fh:
            self.proc = subprocess.Popen(
                [*RAG, "serve", "--index", str(index), "--port", str(self.port)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env={**ENV, **(env or {})},
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rag serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
