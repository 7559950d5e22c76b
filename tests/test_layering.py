"""Imports point one way: precision/errors/parse ← models ← symbolic ← flow ← saddles ← limits, graph ← report ← cli."""

import ast
from pathlib import Path

import symdln

RANK = {
    "errors": 0, "parse": 0, "precision": 0, "matops": 0, "spectra": 0, "_citation": 0,
    "models": 1, "symbolic": 2, "flow": 3, "saddles": 4, "limits": 5, "graph": 5,
    "report": 6, "sweeps": 6, "cli": 7, "cli_paths": 7, "cli_count": 7, "cli_flow": 7, "__main__": 8, "__init__": 9,
}


def _layer(parts):
    return parts[0] if parts else "__init__"


def test_no_upward_imports():
    root = Path(symdln.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).with_suffix("").parts
        mine = _layer(rel if rel[-1] != "__init__" or len(rel) > 1 else ("__init__",))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                pkg = list(rel[:-1])
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                target = base + (node.module.split(".") if node.module else [])
                if not target:
                    continue
                other = target[0]
                if other in RANK and mine in RANK and RANK[other] > RANK[mine]:
                    bad.append(f"{'/'.join(rel)} imports {'.'.join(target)}")
    assert not bad, bad
