#!/usr/bin/env python3
"""Draws the workspace's structure from its code: docs/architecture.dot and .png.

Crates are boxes; inside the engine, each top-level module is a node, and an arrow A -> B means
A imports B (`crate::B` or `super::`-free `use crate::B`). The picture is made from the imports
themselves, so it cannot drift from the tree:

    scripts/architecture.py            # rewrite docs/architecture.dot (and .png if `dot` exists)
    scripts/architecture.py --check    # fail if the .dot on disk differs from the code's

It also fails when the engine's module graph has a cycle, which is the layout rule the picture
illustrates. Standard library only.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOT = ROOT / "docs" / "architecture.dot"
PNG = ROOT / "docs" / "architecture.png"

# Pipeline stages in data-flow order, then the shared modules below them, then the drivers.
STAGES = ["source", "plan", "decode", "aggregate", "render", "rows", "sink"]
SHARED = ["value", "catalog", "error", "database"]
DRIVERS = ["run", "cluster", "check", "report"]
CRATES = {
    "ocp-summary": "the binary: flags, subcommands, exit codes",
    "ocp-summary-generate": "synthetic Koku Parquet",
    "ocp-summary-ingest": "operator CSV payloads -> Koku Parquet",
    "ocp-summary-python": "the Python package ocp_summary (PyO3)",
    "ocp-summary-engine": "the pipeline",
    "ocp-summary-kernels": "pure kernels: RLE, interning, label JSON, merge, LIKE",
}
CRATE_DIRS = {
    "ocp-summary": ".",
    "ocp-summary-generate": "generate",
    "ocp-summary-ingest": "ingest",
    "ocp-summary-python": "python",
    "ocp-summary-engine": "engine",
    "ocp-summary-kernels": "kernels",
}


def module_of(path: Path) -> str:
    rel = path.relative_to(ROOT / "engine" / "src")
    return rel.parts[0].removesuffix(".rs")


def strip_tests(text: str) -> str:
    """Drops `#[cfg(test)]` items: test-only imports are not part of the structure."""
    out, skip, depth = [], False, 0
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() == "#[cfg(test)]":
            skip, depth = True, 0
            i += 1
            continue
        if skip:
            depth += line.count("{") - line.count("}")
            if depth <= 0 and ("}" in line or line.rstrip().endswith(";")):
                skip = False
            i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def test_only_modules() -> set[str]:
    """Modules that lib.rs declares under `#[cfg(test)]`."""
    lib = (ROOT / "engine" / "src" / "lib.rs").read_text()
    return set(re.findall(r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_]+)", lib))


def engine_edges() -> set[tuple[str, str]]:
    edges = set()
    skip = test_only_modules()
    for path in (ROOT / "engine" / "src").rglob("*.rs"):
        if path.name == "tests.rs" or path.name == "lib.rs":
            continue
        src = module_of(path)
        if src in skip:
            continue
        text = strip_tests(path.read_text())
        # Doc comments link to other modules without importing them.
        text = "\n".join(l.split("//", 1)[0] for l in text.splitlines())
        for dst in re.findall(r"crate::([a-z_]+)", text):
            if dst != src and dst in STAGES + SHARED + DRIVERS:
                edges.add((src, dst))
    return edges


def crate_edges() -> set[tuple[str, str]]:
    edges = set()
    for name, folder in CRATE_DIRS.items():
        manifest = (ROOT / folder / "Cargo.toml").read_text()
        deps = manifest.split("[dependencies]", 1)[1].split("\n[", 1)[0]
        for other in CRATES:
            if other != name and re.search(rf"^{re.escape(other)}\s*=", deps, re.M):
                edges.add((name, other))
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def dot(engine: set[tuple[str, str]], crates: set[tuple[str, str]]) -> str:
    q = lambda s: '"' + s + '"'
    lines = [
        "// Made by scripts/architecture.py from the code's imports; do not edit by hand.",
        "digraph ocp_summary {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, compound=true, nodesep=0.25, ranksep=0.35];',
        '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555", arrowsize=0.6];',
        '  label="ocp-summary: crates (outer boxes) and engine modules; A -> B means A uses B";',
        "  labelloc=t;",
    ]
    for crate, what in CRATES.items():
        if crate == "ocp-summary-engine":
            continue
        lines.append(f'  {q(crate)} [label="{crate}\\n{what}", fillcolor="#eef3fb"];')
    lines.append('  subgraph cluster_engine {')
    lines.append('    label="ocp-summary-engine: source -> plan -> decode -> aggregate -> render -> rows -> sink";')
    lines.append('    style="rounded"; color="#3b6ea5";')
    fill = {**{m: "#fff4d6" for m in STAGES}, **{m: "#e8f5e9" for m in SHARED},
            **{m: "#f3e5f5" for m in DRIVERS}}
    for m in DRIVERS + STAGES + SHARED:
        lines.append(f'    {q("engine::" + m)} [label="{m}", fillcolor="{fill[m]}"];')
    for a, b in sorted(engine):
        lines.append(f'    {q("engine::" + a)} -> {q("engine::" + b)};')
    lines.append("  }")
    # Crate arrows into the engine point at its driver, out of it from its database/sink side.
    for a, b in sorted(crates):
        if b == "ocp-summary-engine":
            lines.append(f'  {q(a)} -> {q("engine::run")} [lhead=cluster_engine, color="#3b6ea5"];')
        elif a == "ocp-summary-engine":
            lines.append(f'  {q("engine::catalog")} -> {q(b)} [ltail=cluster_engine, color="#3b6ea5"];')
        else:
            lines.append(f"  {q(a)} -> {q(b)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    engine, crates = engine_edges(), crate_edges()
    for what, edges in (("engine modules", engine), ("crates", crates)):
        cycle = find_cycle(edges)
        if cycle:
            print(f"architecture: the {what} import each other in a circle: {' -> '.join(cycle)}")
            return 1
    text = dot(engine, crates)
    if "--check" in sys.argv:
        if not DOT.exists() or DOT.read_text() != text:
            print("architecture: docs/architecture.dot is out of date; run scripts/architecture.py")
            return 1
        print(f"architecture: {len(engine)} module imports, {len(crates)} crate dependencies, no cycles; picture up to date")
        return 0
    DOT.write_text(text)
    try:
        subprocess.run(["dot", "-Tpng", "-Gdpi=110", str(DOT), "-o", str(PNG)], check=True)
    except FileNotFoundError:
        print("architecture: `dot` (graphviz) not found; wrote the .dot only")
    print(f"architecture: wrote {DOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
