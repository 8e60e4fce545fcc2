"""numbanet.callbacks is the one home of every callback: the protocol, History and the
callbacks themselves, reachable from the package's flat API."""

from __future__ import annotations

import ast
from pathlib import Path

import numbanet as nb
from numbanet import callbacks as C

PACKAGE = Path(nb.__file__).parent


def _module_level_classes(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            yield node.name, [ast.unparse(b) for b in node.bases]


def test_every_callback_class_is_defined_in_numbanet_callbacks():
    """No module-level subclass of Callback (nor a History) outside numbanet/callbacks.py."""
    elsewhere = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "callbacks.py" and path.parent == PACKAGE:
            continue
        for name, bases in _module_level_classes(path):
            if name in ("Callback", "History") or any(b.endswith("Callback") for b in bases):
                elsewhere.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not elsewhere, elsewhere
    defined = dict(_module_level_classes(PACKAGE / "callbacks.py"))
    expected = {
        "Callback",
        "History",
        "EarlyStopping",
        "LRScheduler",
        "GradientNorms",
        "GradientSpeed",
        "WeightNorms",
        "ModelCheckpoint",
    }
    assert expected <= set(defined)
    assert expected <= set(C.__all__)


def test_public_names_point_to_the_one_home():
    from numbanet import schedules

    assert nb.Callback is C.Callback and nb.History is C.History
    assert issubclass(C.LRScheduler, nb.Callback) and issubclass(C.EarlyStopping, nb.Callback)
    assert not hasattr(schedules, "LRScheduler")  # schedules holds the schedules only
    assert "Callback" not in nb.nn.__all__ and "History" not in nb.nn.__all__


def test_callbacks_module_imports_without_the_engine():
    """Sequential imports callbacks, so callbacks must not import numbanet.nn or a backend."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import numbanet.callbacks\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'numba'\n"
        "       or m.startswith(('numbanet.nn', 'numbanet.backends'))]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
