"""A stand-in for ``rag serve`` (its name holds "serve", as the announcement check asks): canned answers
to the routes the CLI's hand-off calls, and an announcement written into each index folder given.

    python tests/cli/fake_serve.py LABEL ARTICLES FOLDER...

prints its URL on the first line of stdout once it listens, then serves until it is terminated."""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def main() -> None:
    label, articles, folders = sys.argv[1], int(sys.argv[2]), [Path(f) for f in sys.argv[3:]]

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/healthz":
                self._send({"status": "ready", "index": label, "articles": articles})
            elif self.path == "/api/stats":
                self._send({"index": label, "backend": "fake", "articles": articles})
            else:
                self.send_error(404)

        def do_POST(self) -> None:  # noqa: N802
            raw = self._body()
            if self.path == "/api/search":
                query = json.loads(raw)["query"]
                self._send({"query": query, "language": "it", "hits": [], "evidence": [], "seconds": 0.0})
            elif self.path == "/api/cite":
                claim = json.loads(raw)["claim"]
                self._send({"claim": claim, "verdict": "not_found", "probability": 0.1, "citations": []})
            elif self.path == "/api/ask":
                question = json.loads(raw)["question"]
                self._send({"question": question, "answer": f"from {label}", "abstained": False, "language": "en",
                            "citations": [], "answerer": "extractive"})  # fmt: skip
            elif self.path == "/api/articles":
                report = {"files": 1, "articles": 1, "sentences": 2, "chunks": 1}
                self._send({"job_id": "j1", "state": "done", "done": 1, "report": report, "error": None})
            else:
                self.send_error(404)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        announcement = {"url": url, "pid": os.getpid(), "started": 0}
        (folder / "rag_service.json").write_text(json.dumps(announcement), encoding="utf-8")
    print(url, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
