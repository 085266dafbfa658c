"""Security: uploaded file names cannot leave the upload folder, through ``safe_name``, the job queue and the API.

That secrets never leak is checked in ``test_secrets.py``. HTML escaping of article text in the UI is covered
by tests/ui/test_render.py (and the browser test, which ingests an article holding ``<script>``)."""

from __future__ import annotations

import os
import shutil
import time
import unicodedata
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from rag.jobs import JOB_FILE, MAX_NAME_BYTES, JobQueue, safe_name
from rag.loaders import SUPPORTED_EXTENSIONS
from tests.api.conftest import start_service

# -- upload names ------------------------------------------------------------------------------------

#: Names that try to leave the folder (or to be odd on some system) -> the name the job stores.
ACCEPTED = {
    "../../etc/passwd.txt": "passwd.txt",
    "..\\..\\x.txt": "x.txt",
    "/abs/path.txt": "path.txt",
    "a/../../b.txt": "b.txt",
    "a\x00b.txt": "a_b.txt",
    "n" * 300 + ".txt": "n" * (MAX_NAME_BYTES - 4) + ".txt",
    "é" * 300 + ".txt": "é" * ((MAX_NAME_BYTES - 4) // 2) + ".txt",
    "．．／．．／etc.txt": "etc.txt",  # full-width look-alikes of ../../ (NFKC folds them)
    "\u2024\u2024\u2215evil.txt": "_evil.txt",  # one-dot leaders and a division slash
    "CON.txt": "_CON.txt",  # a Windows device name
    "..txt": "upload.txt",
    ".hidden.txt": "hidden.txt",  # a hidden name would be skipped by the loaders
    "a.txt/": "a.txt",
}
#: Names the API refuses (no supported extension): a 415 whose message shows the name as sent.
REFUSED = ["", ".", "..", "/", "../../etc/passwd", "evil.txt\x00.exe", "\u202etxt.exe"]


@pytest.mark.parametrize(
    ("name", "stored"),
    [*ACCEPTED.items(), ("", "upload"), (".", "upload"), ("..", "upload")],
    ids=lambda v: ascii(v)[:32],
)
def test_safe_name_examples(name: str, stored: str) -> None:
    assert safe_name(name, set()) == stored


_PIECES = st.sampled_from(
    ["..", ".", "/", "\\", "\x00", "CON", "nul", "．", "／", "＼", "\u2024", "\u2215", "\u202e", " ", "a", "é", "ß"]
    + ["x" * 120, "é" * 90, ".txt", ".TXT", ".jsonl", ".job.json", ".pdf", "~", "\n", "%2e", "$", "*", "<s>"]
)
NAMES = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


@given(
    name=NAMES,
    taken=st.sets(st.one_of(st.text(max_size=12), NAMES.map(str.lower)), max_size=6),
    clashes=st.integers(0, 3),
)
def test_safe_name_is_one_harmless_component(name: str, taken: set[str], clashes: int) -> None:
    earlier: set[str] = set()
    taken |= {safe_name(name, earlier).lower() for _ in range(clashes)}  # the name itself, then -2, -3 taken
    before = set(taken)
    result = safe_name(name, taken)
    assert result not in ("", ".", "..") and not result.startswith(".")  # no hidden file, no parent
    for form in (result, unicodedata.normalize("NFKC", result)):
        assert "/" not in form and "\\" not in form and "\x00" not in form
    assert result.isprintable() and result == result.strip()
    assert PurePosixPath(result).name == result and len(PurePosixPath(result).parts) == 1
    assert len(result.encode()) <= MAX_NAME_BYTES
    assert result.lower() not in before and result.lower() in taken and result != JOB_FILE
    suffix = PurePosixPath(name).suffix.lower()  # what the API checks
    if suffix in SUPPORTED_EXTENSIONS:
        assert result.lower().endswith(suffix)  # the file still reaches its loader


@given(st.lists(NAMES, max_size=20))
def test_safe_names_are_unique_within_an_upload(names: list[str]) -> None:
    taken: set[str] = set()
    stored = [safe_name(n, taken) for n in names]
    assert len({s.lower() for s in stored}) == len(names)


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


def test_job_files_land_in_the_job_folder(tmp_path: Path) -> None:
    """JobQueue.submit (the API's and the UI's way in), worker not started: the files stay to be seen."""
    uploads = tmp_path / "data" / "uploads"
    queue = JobQueue(uploads, lambda folder, progress: {})
    before = _tree(tmp_path)
    names = [*ACCEPTED, *REFUSED, "x.txt", "X.TXT"]  # the job queue itself takes any name
    job = queue.submit([(name, f"file {i}".encode()) for i, name in enumerate(names)])
    folder = uploads / job.job_id
    refused = ["upload", "upload-2", "upload-3", "upload-4", "passwd", "evil.txt_.exe", "_txt.exe"]
    assert job.files == [*ACCEPTED.values(), *refused, "x-2.txt", "X-3.TXT"]  # unique, case-insensitively
    assert _tree(tmp_path) - before == {folder.relative_to(tmp_path)} | {
        (folder / f).relative_to(tmp_path) for f in [*job.files, JOB_FILE]
    }
    for i, stored in enumerate(job.files):
        assert (folder / stored).read_bytes() == f"file {i}".encode()


# -- uploads through the API --------------------------------------------------------------------------


def _multipart(name: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    """The exact bytes a hostile client sends (an HTTP client would percent-encode NUL and quotes)."""
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="files"; filename="'
        + name.encode()
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def _wait(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (state := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    return dict(state)


@pytest.mark.slow
def test_hostile_upload_names_stay_inside_the_job_folder(
    seeded_index: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from rag.api.app import create_app

    index = tmp_path / "index"
    shutil.copytree(seeded_index, index)
    around = tmp_path_factory.getbasetemp()  # every test's folders, the seeded index among them
    before = _tree(around)
    uploads = index / "uploads"
    joined = (
        Path(os.path.normpath(uploads / "job" / n.replace("\\", "/").replace("\x00", "")))
        for n in [*ACCEPTED, *REFUSED]
    )
    # where a name would land outside the upload folder if joined to it as given (/etc/passwd.txt, ...)
    naive = {p for p in joined if p != uploads and uploads not in p.parents and p not in uploads.parents}
    assert {index / "etc" / "passwd.txt", index / "x.txt", Path("/abs/path.txt")} <= naive
    naive |= {Path("/etc/passwd.txt"), Path("/x.txt"), Path("/b.txt"), Path.cwd() / "x.txt", Path.cwd() / "b.txt"}
    existed = {p for p in naive if p.exists()}
    svc = start_service(index)
    try:
        with TestClient(create_app(svc)) as client:
            for name in REFUSED:
                body, headers = _multipart(name, b"Il testo.")
                resp = client.post("/api/articles", content=body, headers=headers)
                assert resp.status_code == 415, (name, resp.text)
                assert repr(name) in resp.json()["error"]["message"]  # the name as sent, control characters escaped
            origins = {}
            for i, (name, stored) in enumerate(ACCEPTED.items()):
                text = f"Il comune di Borgo{i} ha comprato {100 + i} panchine. Il sindaco di Borgo{i} è contento."
                body, headers = _multipart(name, text.encode())
                resp = client.post("/api/articles", content=body, headers=headers)
                assert resp.status_code == 202, (name, resp.text)
                job = resp.json()
                assert job["files"] == [stored]
                state = _wait(client, job["job_id"])
                assert state["state"] == "done", (name, state)
                assert state["report"]["articles"] == 1 and state["report"]["skipped"] == [], (name, state["report"])
                origins[f"upload {job['job_id']}/{stored}"] = f"Borgo{i} "
            listing = client.get("/api/articles", params={"limit": 500}).json()["articles"]
            recorded = {a["origin"]: a["article_id"] for a in listing if (a["origin"] or "").startswith("upload ")}
            assert set(recorded) == set(origins)  # each upload recorded by its job and stored name only
            for origin, marker in origins.items():
                assert marker in client.get(f"/api/articles/{recorded[origin]}").json()["text"]
    finally:
        svc.close()
    created = _tree(around) - before
    data = index.relative_to(around)
    outside = {p for p in created if data not in p.parents}
    assert not outside, f"created outside the index folder: {sorted(map(str, outside))}"
    hostile = {PurePosixPath(n.replace("\\", "/")).name for n in [*ACCEPTED, *REFUSED]} | set(ACCEPTED.values())
    for path in created:
        inside_uploads = (uploads.relative_to(around)) in path.parents
        if not inside_uploads:
            assert path.name not in hostile, f"an uploaded name outside the upload folder: {path}"
        else:
            assert len(path.relative_to(uploads.relative_to(around)).parts) <= 2, path  # uploads/<job>/<file>
    assert {p for p in naive if p.exists()} == existed  # nothing appeared where a name points outside
