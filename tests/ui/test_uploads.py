"""The UI's upload event against a real `rag serve`, driven as an attacker drives it: through Gradio's
own HTTP endpoints, naming server paths the browser never uploaded (issue 13, item 1), and sending
files over the size limit (item 8)."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.errors import InputFileError, RagError
from rag.settings import ApiSettings
from tests.serve import Server
from ui.uploads import NOT_UPLOADED, received_files

SECRET = f"segretissimo{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def served(seeded_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, Path]]:
    base = tmp_path_factory.mktemp("ui-uploads")
    index, gradio_tmp = base / "index", base / "gradio"
    shutil.copytree(seeded_index, index)
    secret = base / "private" / "notes.txt"  # a file on the server that nobody uploaded
    secret.parent.mkdir()
    secret.write_text(f"Documento riservato. La parola chiave è {SECRET}.", encoding="utf-8")
    srv = Server(index, base / "serve.log", env={"GRADIO_TEMP_DIR": str(gradio_tmp), "RAG_API__MAX_UPLOAD_MB": "1"})
    yield srv, secret, gradio_tmp
    srv.stop()


def _fn_index(url: str, name: str) -> int:
    config = httpx.get(f"{url}/config", timeout=30).json()
    for i, dep in enumerate(config["dependencies"]):
        if dep.get("api_name") == name:
            return int(dep.get("id", i))
    raise AssertionError(f"no event named {name}")


def _run_event(url: str, fn: int, data: list[Any]) -> str:
    """Joins Gradio's queue with ``data`` and returns the event's last output (the status HTML)."""
    session = uuid.uuid4().hex[:10]
    body = {"fn_index": fn, "session_hash": session, "data": data, "event_data": None, "trigger_id": None}
    joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30)
    assert joined.status_code == 200, joined.text
    last = ""
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=120) as resp:
        for line in resp.iter_lines():
            if not line.startswith("data: "):
                continue
            msg = json.loads(line[6:])
            if msg.get("msg") in ("process_generating", "process_completed") and msg.get("output"):
                out = msg["output"].get("data") or []
                last = str(out[0]) if out else last
                if msg.get("msg") == "process_completed":
                    if not msg.get("success", True):
                        last = f"ERROR {msg['output'].get('error')}"
                    break
    return last


def _file(path: str, name: str = "x.txt") -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def _found(url: str, word: str) -> bool:
    hits = httpx.post(f"{url}/api/search", json={"query": word}, timeout=30).json()
    return any(word in h["text"] for h in hits["hits"])


@pytest.mark.slow
def test_the_upload_event_refuses_server_paths_it_never_received(served: tuple[Server, Path, Path]) -> None:
    srv, secret, _ = served
    fn = _fn_index(srv.url, "upload")
    before = httpx.get(f"{srv.url}/api/articles", timeout=30).json()["total"]
    readme = Path(__file__).resolve().parents[2] / "README.md"
    answers = [
        _run_event(srv.url, fn, [[_file(str(p))]])
        for p in (secret, readme, secret.parent / "missing.txt", Path("/etc/hostname.txt"))
    ]
    # refused before anything is copied: by Gradio's own check (on since issue 25), else by ours
    assert all(NOT_UPLOADED in a or a == "ERROR None" for a in answers), answers
    assert len(set(answers)) == 1  # an existing and a missing path read the same: nothing leaks
    assert "No such file" not in answers[0] and "Done" not in answers[0] and "/" not in answers[0]
    assert httpx.get(f"{srv.url}/api/articles", timeout=30).json()["total"] == before
    assert not _found(srv.url, SECRET)


@pytest.mark.slow
def test_a_real_upload_is_ingested_and_gradios_copy_removed(served: tuple[Server, Path, Path]) -> None:
    srv, _, gradio_tmp = served
    text = "Il nuovo ponte sull'Adige a Verona è lungo 412 metri e costa 9 milioni."
    sent = httpx.post(
        f"{srv.url}/gradio_api/upload", files=[("files", ("ponte.txt", text.encode(), "text/plain"))], timeout=30
    )
    assert sent.status_code == 200, sent.text
    (path,) = sent.json()
    assert Path(path).is_relative_to(gradio_tmp)
    status = _run_event(srv.url, _fn_index(srv.url, "upload"), [[_file(path, "ponte.txt")]])
    assert "Done: 1 new articles" in status, status
    assert not Path(path).exists()  # the job keeps its own copy; Gradio's is gone


@pytest.mark.slow
def test_files_over_the_limit_are_refused_while_they_stream_in(served: tuple[Server, Path, Path]) -> None:
    srv, _, gradio_tmp = served
    big = b"Parola. " * (300 * 1024)  # 2.4 MB, the limit is 1 MB
    sent = httpx.post(f"{srv.url}/gradio_api/upload", files=[("files", ("big.txt", big, "text/plain"))], timeout=60)
    assert sent.status_code == 413, sent.text
    left = [p for p in gradio_tmp.rglob("*") if p.is_file() and p.stat().st_size >= 1 << 20]
    assert not left, left


def test_received_files_checks_type_size_and_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))
    ok, docx, big = tmp_path / "a" / "ok.txt", tmp_path / "b" / "x.docx", tmp_path / "c" / "big.txt"
    for p, size in ((ok, 10), (docx, 10), (big, 2 << 20)):
        p.parent.mkdir()
        p.write_bytes(b"x" * size)
    api = ApiSettings(max_upload_mb=1, max_files=2)
    uploaded = {str(ok), str(docx), str(big)}
    assert received_files([str(ok)], uploaded, api) == [("ok.txt", b"x" * 10)]
    with pytest.raises(InputFileError, match="unsupported file type '.docx'") as info:
        received_files([str(docx)], uploaded, api)
    assert ".txt" in str(info.value) and ".pdf" in str(info.value)  # names the supported types
    with pytest.raises(InputFileError, match="larger than 1 MB"):
        received_files([str(big)], uploaded, api)
    with pytest.raises(RagError, match="3 files in one upload"):
        received_files([str(ok)] * 3, uploaded, api)
    link = tmp_path / "d" / "link.txt"  # a link inside the folder to a file outside it
    link.parent.mkdir()
    outside = tmp_path.parent / f"outside-{uuid.uuid4().hex}.txt"
    outside.write_text("fuori")
    link.symlink_to(outside)
    with pytest.raises(RagError, match=NOT_UPLOADED):
        received_files([str(link)], {str(link)}, api)
    outside.unlink()


def _events(url: str) -> list[tuple[int, int]]:
    """(fn index, number of inputs) of every event the page can send."""
    config = httpx.get(f"{url}/config", timeout=30).json()
    return [(int(dep.get("id", i)), len(dep.get("inputs") or [])) for i, dep in enumerate(config["dependencies"])]


def _outputs(url: str, fn: int, data: list[Any], timeout: float = 60) -> str:
    """Everything the queue sent back for one event, as text."""
    session = uuid.uuid4().hex[:10]
    body = {"fn_index": fn, "session_hash": session, "data": data, "event_data": None, "trigger_id": None}
    joined = httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30)
    if joined.status_code != 200:
        return joined.text
    seen = []
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=timeout) as r:
        for line in r.iter_lines():
            seen.append(line)
            if '"process_completed"' in line or '"close_stream"' in line:
                break
    return "\n".join(seen)


@pytest.mark.slow
def test_no_event_copies_or_serves_a_server_file_it_never_received(served: tuple[Server, Path, Path]) -> None:
    """Issue 25, item 1: a chat history naming a server file as an attachment made Gradio copy it into
    its cache and serve it. Here every event of the page gets such a file in every input, the chat's
    history included, and an empty path: nothing is copied, served, or named back."""
    srv, secret, gradio_tmp = served
    history = [{"role": "user", "content": [{"type": "file", "file": _file(str(secret), "notes.txt")}]}]
    replies = []
    for fn, n in _events(srv.url):
        replies.append(_outputs(srv.url, fn, [_file(str(secret))] * n))
        if n >= 2:  # the chat's shape: a question, then a history of messages
            replies.append(_outputs(srv.url, fn, ["ciao", history, *([None] * (n - 2))]))
        replies.append(_outputs(srv.url, fn, [_file("")] * n))
    text = "\n".join(replies)
    assert SECRET not in text and str(secret) not in text
    assert str(Path.cwd()) not in text  # an empty path named the working directory in an error
    copies = [p for p in gradio_tmp.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    assert not copies, copies
    for url in set(re.findall(r"/gradio_api/file=[^\"'\s\\]+", text)):
        assert SECRET not in httpx.get(f"{srv.url}{url}", timeout=30).text


@pytest.mark.slow
def test_an_endless_file_named_in_the_chat_does_not_freeze_the_service(served: tuple[Server, Path, Path]) -> None:
    """Issue 25, item 2: the chat event naming /dev/zero froze /healthz, search and every session."""
    srv, _, _ = served
    fn = _fn_index(srv.url, "ask")
    history = [{"role": "user", "content": [{"type": "file", "file": _file("/dev/zero", "zero")}]}]
    done: list[str] = []
    worker = threading.Thread(target=lambda: done.append(_outputs(srv.url, fn, ["ciao", history] + [None] * 5)))
    worker.start()
    time.sleep(1.0)
    assert httpx.get(f"{srv.url}/healthz", timeout=5).status_code == 200
    assert httpx.post(f"{srv.url}/api/search", json={"query": "Siria"}, timeout=10).status_code == 200
    worker.join(timeout=30)
    assert done and not worker.is_alive()
