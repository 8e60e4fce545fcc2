"""The package's layering, checked on the source (issue: layers never touch kernels).

* layers, losses and optimisers call their backend and never import a kernel module;
* no layer imports the recurrent module (the wrapper base they share is ``nn/_wrapper.py``);
* nothing imports ``numbanet.claims`` except the command line (plots and claims share
  ``numbanet.experiments``);
* no model module loads data: models take arrays;
* the reference backend (plain NumPy, the oracle of every test) runs with Numba absent.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "numbanet"


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path):
    """Every module ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text())
    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def _files(*subpaths):
    for sub in subpaths:
        p = PKG / sub
        yield from ([p] if p.suffix == ".py" else sorted(p.rglob("*.py")))


def _offenders(files, forbidden):
    bad = []
    for f in files:
        for mod in _imports(f):
            if any(mod == x or mod.startswith(x + ".") for x in forbidden):
                bad.append(f"{f.relative_to(ROOT)} imports {mod}")
    return bad


def test_import_resolution_sees_relative_imports():
    # the walker itself: nn/sequential.py imports numbanet.backends through "from ..backends"
    assert "numbanet.backends" in _imports(PKG / "nn" / "sequential.py")


def test_layers_losses_optimisers_never_import_kernels():
    files = list(_files("nn", "losses.py", "optim.py", "training.py", "callbacks.py"))
    assert len(files) > 5
    assert _offenders(files, ["numbanet.kernels"]) == []


def test_layers_do_not_depend_on_the_recurrent_module():
    # shared wrapper plumbing (Residual, Bidirectional, TimeDistributed) lives in nn/_wrapper.py;
    # a plain layer reaching into nn/recurrent.py for it would tie every model to the RNN code
    files = [f for f in _files("nn") if f.name not in ("recurrent.py", "__init__.py")]
    assert PKG / "nn" / "residual.py" in files and PKG / "nn" / "_wrapper.py" in files
    assert _offenders(files, ["numbanet.nn.recurrent"]) == []
    # and the wrapper base is neutral: it imports neither of the layers built on it
    wrapper = [PKG / "nn" / "_wrapper.py"]
    assert _offenders(wrapper, ["numbanet.nn.recurrent", "numbanet.nn.residual"]) == []


def test_only_the_cli_imports_claims():
    """Only the front ends, the command line and the notebooks' helpers (aula.py), use the
    claims."""
    claims = [PKG / "claims.py", PKG / "claims"]
    front_ends = {PKG / "cli.py", PKG / "aula.py"}
    files = [
        f
        for f in _files(".")
        if f not in front_ends and not any(f == c or c in f.parents for c in claims)
    ]
    assert _offenders(files, ["numbanet.claims"]) == []


def test_model_modules_never_load_data():
    files = list(_files("nn", "unsupervised", "models.py", "training.py"))
    assert _offenders(files, ["numbanet.data"]) == []


def test_reference_backend_runs_without_numba():
    code = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "numba" or name.startswith("numba."):
            raise ImportError("numba is blocked in this test")
sys.meta_path.insert(0, Block())
import numpy as np
import numbanet as nb
net = nb.Sequential([nb.Dense(3, 4), nb.Tanh(), nb.Dense(4, 2)], backend="reference", seed=0,
                    dtype=np.float64)
loss = nb.losses.CrossEntropy()
x = np.linspace(-1, 1, 6).reshape(2, 3)
value = loss.forward(net.forward(x, training=True), np.array([0, 1]))
net.zero_grad()
net.backward(loss.backward())
assert "numba" not in sys.modules
g = net.parameters()[0].grad
assert g.shape == (4, 3) and np.isfinite(g).all() and np.abs(g).sum() > 0
print("ok", value)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok")


def test_long_modules_say_why():
    """No module over about 600 lines without a reason in its docstring ("Size: ...")."""
    long_ = []
    for f in _files("."):
        n = len(f.read_text().splitlines())
        doc = ast.get_docstring(ast.parse(f.read_text())) or ""
        if n > 650 and "Size:" not in doc:
            long_.append(f"{f.relative_to(ROOT)} ({n} lines)")
    assert long_ == []
