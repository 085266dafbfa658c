"""The running service's announcement, ``<index>/rag_service.json``: written by ``rag serve`` (see
:meth:`rag.service.Service.start`), read by the CLI to hand its work to the service that owns the index.

Light on purpose (standard library only): the CLI reads it before importing anything heavy, so a
call the service answers pays no model code (and ``rag.service``, which imports the engine, re-exports
these names)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.settings import Settings

SERVICE_FILE = "rag_service.json"


def service_file(settings: Settings) -> Path:
    return settings.index_dir() / SERVICE_FILE


def running_service(settings: Settings) -> dict[str, Any] | None:
    """The announcement of a live service owning this index, if there is one."""
    path = service_file(settings)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        _remove_stale(path)
        return None
    except OSError:
        return None
    try:  # a pid alive again in another program (reused after a crash) is no service
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = None  # not Linux: the pid check is all there is
    if cmdline is not None and b"serve" not in cmdline:
        _remove_stale(path)
        return None
    return dict(info)


def _remove_stale(path: Path) -> None:
    """The announcement of a service that is gone (killed before it could remove it)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if int(info.get("pid", -1)) != os.getpid():
            path.unlink()
    except (OSError, ValueError, TypeError):
        pass
