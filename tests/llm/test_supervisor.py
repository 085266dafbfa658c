"""No failure of the local LLM takes anything down: it runs in its own process, which is killed here
mid-answer (kill -9, a segfault), frozen (a hang), or given a truncated model file. Each time the
question still gets an extractive answer that says why, and the next one is the LLM's again. Real
model, real index; the pytest process survives every case because the model never runs in it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.answer.generators import ANSWERED_WITHOUT_LLM
from tests.conftest import SYRIA, make_settings
from tests.serve import ENV, RAG, Server

pytestmark = [pytest.mark.slow, pytest.mark.llm]
QUESTION = "How many US troops are in Syria?"


def _engine(index: Path, **llm: Any) -> Any:
    from rag.engine import Engine

    s = make_settings(index)
    for name, value in llm.items():
        setattr(s.llm, name, value)
    return Engine(s)


def _wait(cond: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # a zombie not reaped yet


@pytest.fixture()
def engine(seeded_index: Path) -> Iterator[Any]:
    with _engine(seeded_index, timeout_s=20) as e:
        e.local_llm.start()
        yield e


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV])
def test_a_worker_killed_mid_stream_gives_an_extractive_answer_then_comes_back(engine: Any, sig: int) -> None:
    llm = engine.local_llm
    first = llm.pid
    assert first and llm.state == "ready"

    def kill_on_first_token(_text: str) -> None:
        if llm.pid == first:
            os.kill(first, sig)

    result = engine.ask(QUESTION, answerer="local", on_token=kill_on_first_token)
    name = signal.Signals(sig).name
    assert result.answerer == "extractive" and not result.abstained
    assert result.notice == ANSWERED_WITHOUT_LLM  # terse on each answer; the cause, once, beside it
    assert engine.llm_notice and name in engine.llm_notice and "log" in engine.llm_notice
    assert SYRIA in result.citations[0].quote  # the fallback is a cited answer, not an error
    c = result.citations[0]
    assert engine.article_text(c.article_id)[c.start : c.end] == c.quote
    _wait(lambda: llm.state == "ready", "the restarted LLM")
    assert llm.pid != first and llm.restarts == 1
    again = engine.ask(QUESTION, answerer="local")
    assert again.answerer == "local" and again.notice is None and "900" in again.answer, engine.llm_notice
    assert engine.llm_notice is None  # it answers again: nothing left to say


def test_a_hung_worker_reaches_its_timeout_with_a_clear_message(seeded_index: Path) -> None:
    with _engine(seeded_index, timeout_s=8) as engine:
        llm = engine.local_llm
        llm.start()
        hung = llm.pid
        assert hung is not None
        os.kill(hung, signal.SIGSTOP)  # alive, listening, and never answering
        t = time.monotonic()
        result = engine.ask(QUESTION, answerer="local")
        waited = time.monotonic() - t
        assert result.answerer == "extractive" and SYRIA in result.citations[0].quote
        assert result.notice == ANSWERED_WITHOUT_LLM
        assert "did not answer within 8 s" in engine.llm_notice and "RAG_LLM__TIMEOUT_S" in engine.llm_notice
        assert waited < 30, waited
        _wait(lambda: _gone(hung), "the hung worker to be killed", timeout=15)
        _wait(lambda: llm.state == "ready", "the restarted LLM")
        assert engine.ask(QUESTION, answerer="local").answerer == "local"


def test_a_question_while_the_worker_restarts_is_answered_at_once(engine: Any) -> None:
    llm = engine.local_llm
    os.kill(llm.pid, signal.SIGKILL)  # between questions, as an out-of-memory kill would
    _wait(lambda: llm.state != "ready", "the watcher to notice")
    t = time.monotonic()
    result = engine.ask(QUESTION, answerer="local")
    if llm.state != "ready":  # (a fast machine may have restarted it already)
        assert result.answerer == "extractive" and result.notice == ANSWERED_WITHOUT_LLM
        assert "restarting" in engine.llm_notice
        assert time.monotonic() - t < 10  # no waiting for the new process
    _wait(lambda: llm.state == "ready", "the restarted LLM")
    assert engine.ask(QUESTION, answerer="local").answerer == "local"


def test_a_truncated_gguf_is_a_clear_error_naming_the_file_and_the_fix(seeded_index: Path, tmp_path: Path) -> None:
    from rag.llm.gguf import ensure_gguf

    cut = tmp_path / "model.gguf"
    with ensure_gguf(make_settings().embedding.cache_dir).open("rb") as src:
        cut.write_bytes(src.read(16 << 20))  # the header and the first tensors, as an interrupted copy leaves it
    with _engine(seeded_index, gguf_path=cut) as engine:
        result = engine.ask(QUESTION)  # auto: the local LLM is installed, its file is not usable
        assert result.answerer == "extractive" and SYRIA in result.citations[0].quote
        assert result.notice == ANSWERED_WITHOUT_LLM
        assert str(cut) in engine.llm_notice and "truncated" in engine.llm_notice
        assert engine.local_llm.state == "failed" and engine.local_llm.pid is None
    done = subprocess.run(
        [*RAG, "ask", QUESTION, "--index", str(seeded_index), "--answerer", "local"],
        capture_output=True,
        text=True,
        env={**ENV, "RAG_LLM__GGUF_PATH": str(cut), "COLUMNS": "400"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "notice: Answered extractively: the local LLM is unavailable." in done.stdout
    assert str(cut) in done.stderr and "truncated" in done.stderr  # the cause, on stderr
    assert "copy or download the file again" in done.stderr  # the fix, once, on stderr
    questions = tmp_path / "questions.txt"
    questions.write_text(f"{QUESTION}\nChi è il primo ministro iracheno?\n{QUESTION}\n", encoding="utf-8")
    batch = subprocess.run(
        [*RAG, "ask", "--file", str(questions), "--index", str(seeded_index), "--answerer", "local"],
        capture_output=True,
        text=True,
        env={**ENV, "RAG_LLM__GGUF_PATH": str(cut), "COLUMNS": "400"},
        timeout=300,
    )
    assert batch.returncode == 0, batch.stderr
    assert batch.stdout.count("notice: Answered extractively") == 3  # one terse line an answer
    assert batch.stdout.count("truncated") == 0 and batch.stderr.count("is truncated") == 1  # the cause once


def _worker_of(pid: int) -> int:
    """The LLM worker among the children of process ``pid``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"rag.llm.worker" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise AssertionError("no LLM worker process")


def _events(resp: httpx.Response) -> Iterator[tuple[str, Any]]:
    kind = None
    for line in resp.iter_lines():
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: ") and kind:
            yield kind, json.loads(line[6:])


def test_kill_9_of_the_worker_mid_stream_in_rag_serve(seeded_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    server = Server(index, tmp_path / "serve.log", env={"RAG_ANSWER__ANSWERER": "local"})
    try:
        health = lambda: httpx.get(f"{server.url}/healthz", timeout=5)  # noqa: E731
        _wait(lambda: health().json()["llm"] == "ready", "the local LLM")
        worker = _worker_of(server.proc.pid)
        seen: list[tuple[str, Any]] = []
        with httpx.stream("POST", f"{server.url}/api/ask/stream", json={"question": QUESTION}, timeout=60) as resp:
            for kind, data in _events(resp):
                seen.append((kind, data))
                if kind == "token" and len(seen) == 1:
                    os.kill(worker, signal.SIGKILL)
                    assert health().status_code == 200  # the service answers meanwhile
        kinds = [k for k, _ in seen]
        assert kinds[0] == "token" and kinds[-1] in ("answer", "error"), kinds
        final = seen[-1][1]
        assert final["answerer"] == "extractive" and final["notice"] == ANSWERED_WITHOUT_LLM, final
        assert SYRIA in final["citations"][0]["quote"]
        assert server.proc.poll() is None and health().status_code == 200
        _wait(lambda: health().json()["llm"] == "ready", "the restarted LLM")
        restarted = _worker_of(server.proc.pid)
        assert restarted != worker
        answer = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=120).json()
        assert answer["answerer"] == "local" and answer["notice"] is None and "900" in answer["answer"]
    finally:
        server.stop()
    _wait(lambda: _gone(restarted), "the worker to end with the service", timeout=10)


def _cpu_lacking_the_builds_level(tmp_path: Path) -> tuple[Path, list[str]]:
    """This machine's /proc/cpuinfo without the instructions that set the installed build's level apart
    from the next lower one: the CPU a venv moved to, or an `LLM_CPU` override, would meet."""
    from rag.llm import cpu

    try:
        level = json.loads(cpu.record_path().read_text())["level"]
    except (OSError, ValueError):
        pytest.skip("llama-cpp-python was not built by `make setup`: no record to check")
    levels = list(cpu.LEVELS)
    if level not in levels[:-1]:
        pytest.skip(f"a {level} build needs nothing a lower level lacks")
    drop = set(cpu.needs(level)) - set(cpu.needs(levels[levels.index(level) + 1]))
    lines = []
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            key, _, flags = line.partition(":")
            line = f"{key}: {' '.join(f for f in flags.split() if f not in drop)}"
        lines.append(line)
    fake = tmp_path / "cpuinfo"
    fake.write_text("\n".join(lines) + "\n")
    return fake, sorted(drop)


def test_a_build_this_cpu_cannot_run_is_never_started_and_the_fix_is_named(seeded_index: Path, tmp_path: Path) -> None:
    """The service starts, /healthz and `rag stats` say why the LLM is off and how to fix it, answers
    are extractive, and no process ever runs the build (where it would die of SIGILL)."""
    fake, lacking = _cpu_lacking_the_builds_level(tmp_path)
    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    env = {"RAG_ANSWER__ANSWERER": "local", "RAG_LLM__CPUINFO": str(fake)}
    server = Server(index, tmp_path / "serve.log", env=env)
    try:
        _wait(lambda: httpx.get(f"{server.url}/healthz", timeout=5).json()["llm"] == "failed", "the LLM's refusal")
        health = httpx.get(f"{server.url}/healthz", timeout=5).json()
        assert lacking[0] in health["llm_error"] and "make setup" in health["llm_error"], health
        assert "SIGILL" in health["llm_error"]  # what would have happened, not what did
        answer = httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=120).json()
        assert answer["answerer"] == "extractive" and answer["notice"] == ANSWERED_WITHOUT_LLM, (
            answer
        )  # terse: healthz says why
        assert answer["citations"] and answer["citations"][0]["quote"]
        with pytest.raises(AssertionError, match="no LLM worker"):
            _worker_of(server.proc.pid)
    finally:
        server.stop()
    stats = subprocess.run(
        [*RAG, "stats", "--index", str(index), "--json"], capture_output=True, text=True, env={**ENV, **env}
    )
    llm = json.loads(stats.stdout)["llm"]
    assert llm["fits"] is False and llm["missing"] == [f for f in llm["missing"] if f in lacking] and llm["missing"]
    done = subprocess.run(
        [*RAG, "ask", QUESTION, "--index", str(index)],
        capture_output=True,
        text=True,
        env={**ENV, **env, "COLUMNS": "400"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "notice:" in done.stdout and "make setup" in done.stdout + done.stderr


def test_closed_streams_stop_generating_and_waiting_answers_are_bounded(seeded_index: Path, tmp_path: Path) -> None:
    """Issue 25, item 9: six streams opened and closed kept the LLM busy (a fresh answer then took 74 s
    instead of ~20 s). A closed stream now stops its answer at the next token, or before it starts."""
    import threading

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    env = {"RAG_ANSWER__ANSWERER": "local", "RAG_API__MAX_LLM_WAITING": "6"}
    server = Server(index, tmp_path / "serve.log", env=env)
    health = lambda: httpx.get(f"{server.url}/healthz", timeout=5).json()  # noqa: E731
    try:
        _wait(lambda: health()["llm"] == "ready", "the local LLM")

        def open_and_close() -> None:
            with httpx.stream("POST", f"{server.url}/api/ask/stream", json={"question": QUESTION}, timeout=120) as r:
                assert r.status_code == 200  # then the client goes away before any token

        streams = [threading.Thread(target=open_and_close) for _ in range(6)]
        for t in streams:
            t.start()
        for t in streams:
            t.join(120)
        # six whole answers take ~30 s here; stopped, the first ends at its first token, the others at once
        _wait(lambda: health()["llm_waiting"] == 0, "the abandoned answers to stop", timeout=15)
        # more than the bound at once: the rest are told to retry, at once
        replies: list[str] = []
        crowd = [
            threading.Thread(
                target=lambda: replies.append(
                    httpx.post(f"{server.url}/api/ask", json={"question": QUESTION}, timeout=300).text
                )
            )
            for _ in range(9)
        ]
        for t in crowd:
            t.start()
        for t in crowd:
            t.join(300)
        assert any("waiting for the local LLM" in r and "RAG_API__MAX_LLM_WAITING" in r for r in replies), replies
        assert any('"answerer":"local"' in r.replace(" ", "") for r in replies), replies
    finally:
        server.stop()
