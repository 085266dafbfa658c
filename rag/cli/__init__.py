"""``rag`` command line: a thin shell over :class:`rag.engine.Engine` (or, while ``rag serve`` owns
the index, over the running service). One module per kind of work; importing them registers the
commands on :data:`app`."""

from rag.cli import admin, ingest, query  # noqa: F401  (the commands)
from rag.cli.common import app, main

__all__ = ["app", "main"]
