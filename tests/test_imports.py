"""No import circle in rag/ and ui/: every import counts, at module level, inside functions (deferred)
and under ``TYPE_CHECKING``. Run alone: ``.venv/bin/pytest tests/test_imports.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: tuple[str, ...]) -> nx.DiGraph:
    """Module -> each module of ``packages`` it imports (any import statement anywhere in the file)."""
    files = {module_name(root, p): p for pkg in packages for p in (root / pkg).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            else:
                continue
            graph.add_edges_from((name, t) for t in targets if t in files and t != name)
    return graph


def circles(graph: nx.DiGraph) -> list[list[str]]:
    return [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]


def test_the_checker_sees_a_circle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from pkg.b import x\n", encoding="utf-8")
    (pkg / "b.py").write_text("def f():\n    from . import a\n", encoding="utf-8")  # deferred, relative
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\n", "utf-8")
    assert circles(import_graph(tmp_path, ("pkg",))) == [["pkg.a", "pkg.b"]]


#: The stages: each holds its pipeline, its components and its logic. The engine sequences them.
STAGES = ("ingest", "search", "answer", "cite")
#: The one use across stages: answers that judge a claim (yes/no, thresholds, dates, sources) ask
#: citation lookup, a stage below them that imports nothing of theirs.
ALLOWED = {("answer", "cite")}


def test_stages_import_nothing_from_each_other() -> None:
    graph = import_graph(ROOT, ("rag",))

    def stage(module: str) -> str | None:
        part = module.split(".")[1] if module.count(".") else ""
        return part if part in (*STAGES, "llm") else None

    crossing = sorted(
        f"{s} -> {t}"
        for s, t in graph.edges
        if stage(s) and stage(t) and stage(s) != stage(t) and (stage(s), stage(t)) not in ALLOWED
        and not (stage(s) == "answer" and stage(t) == "llm")  # the answerers start the LLM's process
    )  # fmt: skip
    assert crossing == []


def test_rag_and_ui_have_no_import_circle() -> None:
    graph = import_graph(ROOT, ("rag", "ui"))
    assert graph.number_of_nodes() > 100 and graph.number_of_edges() > 300  # the graph was read
    assert circles(graph) == []
    # ui/ is a shell over rag/: only the CLI's `rag serve`, which mounts it, imports it
    inward = [(s, t) for s, t in graph.edges if t.startswith("ui") and s.startswith("rag") and s != "rag.cli.admin"]
    assert inward == []
