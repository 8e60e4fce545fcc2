"""The slides' experiments (``numbanet.experiments``): their results asserted on small budgets.

The figures and claims that use them are tested in ``test_fig_*.py``, ``test_figures_b.py``
and ``test_claims.py``; here each experiment is run directly.
"""

import numpy as np
import pytest

from numbanet.errors import ValidationError
from numbanet.experiments import vanishing


# --------------------------------------------------------------------------- deck 004 (DL)
def test_compare_autoencoder_uses_small(shared_data):
    res = vanishing.compare_autoencoder_uses(
        n_train=1500, n_test=500, n_code=16, ae_epochs=8, clf_epochs=5, backend="cpu", seed=0
    )
    acc = res["accuracy"]
    assert set(acc) == {"raw", "features", "reconstructions", "joint"}
    # every use learns well above chance (0.1 for 10 classes) on 1,500 digits
    assert all(a > 0.3 for a in acc.values()), acc
    assert acc["raw"] > 0.6 and acc["joint"] > 0.6, acc
    assert len(res["ae_loss"]) == 8 and res["ae_loss"][-1] < res["ae_loss"][0]
    assert len(res["joint_history"]) == 5


def test_compare_pretraining_validates_its_arguments():
    with pytest.raises(ValidationError, match="methods"):
        vanishing.compare_pretraining(methods=("bogus",), data=(np.zeros((2, 4)),) * 4)
    with pytest.raises(ValidationError, match="seeds"):
        vanishing.compare_pretraining(seeds=(), data=(np.zeros((2, 4)),) * 4)


def test_compare_pretraining_small(shared_data):
    from numbanet.data import mnist_split

    d = mnist_split()
    data = (d.x_train[:1500], d.y_train[:1500], d.x_val[:500], d.y_val[:500])
    res = vanishing.compare_pretraining(
        seeds=(0, 1),
        sizes=(784, 64, 64, 64, 10),
        pretrain_epochs=2,
        finetune_epochs=1,
        speed_examples=300,
        backend="cpu",
        data=data,
    )
    s = res["summary"]
    assert set(s) == {"random", "autoencoder", "rbm"}
    for m in s:
        r = res["results"][m]
        assert len(r["val_accuracy"]) == 2 and len(r["speeds"][0]) == 3
        assert all(ratio >= 1 for ratio in r["speed_ratio"])
    # the claim, at a tiny budget: pre-trained nets are ahead after the first fine-tuning epoch
    # and their layers learn at more even speeds
    for m in ("autoencoder", "rbm"):
        assert s[m]["first_epoch_accuracy"][0] > s["random"]["first_epoch_accuracy"][0] + 0.1, s
        assert s[m]["speed_ratio"][0] < s["random"]["speed_ratio"][0], s


# --------------------------------------------------------------------------- layering
def _imports(path, package):
    """Absolute names of the modules ``path`` imports (relative imports resolved), with the
    names imported from them: {module: {name, ...}}."""
    import ast

    tree = ast.parse(path.read_text())
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out.setdefault(a.name, set())
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            names = {a.name for a in node.names}
            out.setdefault(mod, set()).update(names)
            for n in names:  # "from . import claims" imports the module numbanet.claims
                out.setdefault(f"{mod}.{n}", set())
    return out


def _modules():
    from pathlib import Path

    import numbanet

    root = Path(numbanet.__file__).parent
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        name = ".".join(rel.parts)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        yield name.removesuffix(".__init__"), path, package


def test_nothing_but_the_cli_imports_the_claims():
    """The claims sit on top: only the two front ends use them, the command line and the
    notebooks' helpers (``numbanet.aula``)."""
    users = [
        name
        for name, path, pkg in _modules()
        if not name.startswith("numbanet.claims")
        and any(
            m == "numbanet.claims" or m.startswith("numbanet.claims.") for m in _imports(path, pkg)
        )
    ]
    assert sorted(users) == ["numbanet.aula", "numbanet.cli"]


LOADERS = {"load_mnist", "mnist_split", "load_mnist1d", "load_semeion", "find_mnist"}


def test_no_model_module_loads_data():
    """The library's models and math take arrays: only the experiments (and the data package,
    the CLI's sweep runner and the figures' availability check) touch the data loaders."""
    model_pkgs = (
        "numbanet.nn",
        "numbanet.unsupervised",
        "numbanet.theory",
        "numbanet.backends",
        "numbanet.kernels",
        "numbanet.losses",
        "numbanet.optim",
        "numbanet.models",
        "numbanet.plots",
    )
    offenders = []
    for name, path, pkg in _modules():
        if not name.startswith(model_pkgs) or name == "numbanet.plots.render":
            continue
        for mod, names in _imports(path, pkg).items():
            if mod.startswith("numbanet.data") and (names & LOADERS or mod == "numbanet.data"):
                offenders.append((name, mod, sorted(names)))
    assert not offenders, offenders
