"""The house plan of docs/architecture.md, held against the code's own imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "decide"
DOC = ROOT / "docs" / "architecture.md"

#: Private modules another package may import, each with the reason.
ALLOWED_PRIVATE = {
    # the CVaR LP evaluates the exact CVaR and VaR of each round in one partition with the
    # measures' own kernel and snapping (the public cvar and value_at_risk partition twice)
    ("decide.optimization", "decide.measures._reduce"),
    ("decide.optimization", "decide.measures._quantile"),
    # compare reports a fixed plan against the observed range with optimize's own report
    ("decide.policies", "decide.optimization._guard"),
}


def _layers() -> dict[str, int]:
    """Package -> layer, read from the table of docs/architecture.md."""
    out: dict[str, int] = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if m:
            for name in re.findall(r"`(decide[\w.]*)`", m.group(2)):
                out[name] = int(m.group(1))
    return out


def _owner(module: str, layers: dict[str, int]) -> str | None:
    """The package of the table that ``module`` belongs to."""
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        name = ".".join(parts[:k])
        if name in layers:
            return name
    return None


def _imports() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for every ``decide`` import in the package."""
    out = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        module = ".".join(parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "decide":  # from decide import measures, _config ...
                    out += [(module, f"decide.{a.name}", node.lineno) for a in node.names]
                elif node.module.startswith("decide."):
                    out.append((module, node.module, node.lineno))
            elif isinstance(node, ast.Import):
                out += [(module, a.name, node.lineno) for a in node.names if a.name.startswith("decide.")]
    return out


def test_the_table_names_every_package():
    layers = _layers()
    assert len(layers) >= 14
    found = {f"decide.{p.name}" for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    found |= {f"decide.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert found - set(layers) == set(), "add the new package to docs/architecture.md"


def test_no_layer_imports_a_higher_one_or_a_sibling():
    layers = _layers()
    bad = []
    for src, dst, line in _imports():
        a, b = _owner(src, layers), _owner(dst, layers)
        if src == "decide" or a is None or b is None or a == b:
            continue
        if layers[b] >= layers[a]:
            bad.append(f"{src}:{line} imports {dst} (layer {layers[a]} -> {layers[b]})")
    assert bad == []


def test_other_packages_are_imported_through_their_public_path():
    layers = _layers()
    bad = []
    for src, dst, line in _imports():
        a, b = _owner(src, layers), _owner(dst, layers)
        if src == "decide" or a == b or b is None:
            continue
        private = any(p.startswith("_") for p in dst.split(".")[len(b.split(".")):])
        if private and (a, dst) not in ALLOWED_PRIVATE:
            bad.append(f"{src}:{line} imports the private module {dst}")
    assert bad == []


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The checker itself: a measures module importing optimization is flagged."""
    fake = tmp_path / "decide" / "measures"
    fake.mkdir(parents=True)
    (fake / "_bad.py").write_text("from decide.optimization import optimize\n")
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "decide")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    found = _imports()
    assert found == [("decide.measures._bad", "decide.optimization", 1)]
    layers = _layers()
    a, b = _owner(found[0][0], layers), _owner(found[0][1], layers)
    assert layers[b] > layers[a]
