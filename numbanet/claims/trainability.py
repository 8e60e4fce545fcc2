"""Claim 21: training deep nets is easy up to about 20 layers and needs tricks beyond (UDL deck
000), measured on MNIST-1D with plain, residual and normalised ReLU MLPs."""

from __future__ import annotations

from .. import slides
from ._core import claim
from .verdict import verdict


@claim(
    21,
    "Training deep networks seems easier up to 20 layers; beyond, tricks are needed: plain "
    "ReLU MLPs train on MNIST-1D up to about 20 hidden layers and no deeper, a residual "
    "MLP still trains at 50",
    {
        "plain: deepest depth that trains": slides.EASY_TRAINING_DEPTH,
        "residual: deepest depth that trains": f"> {slides.EASY_TRAINING_DEPTH}",
    },
    figure="depth-trainability",
    expensive=True,
)
def _c21(depths=(2, 5, 10, 20, 30, 50), n_train=1000, epochs=20, seeds=(0,)):
    from ..experiments import trainability as T

    res = T.depth_trainability(depths=depths, n_train=n_train, epochs=epochs, seeds=seeds)
    deepest = {f: T.deepest_trained(res, f) for f in res["families"]}
    easy = slides.EASY_TRAINING_DEPTH
    plain_ok, plain_fail = deepest["plain"]
    res_ok, _ = deepest["residual"]
    # one step of the sweep either side of 20 is the resolution of the measurement: a factor 1.5
    cmp = verdict(plain_ok, easy, factor=1.5, name="plain: deepest depth that trains") & verdict(
        res_ok, easy, relation=">", name="residual: deepest depth that trains"
    )
    computed = {
        "plain: deepest depth that trains": plain_ok,
        "plain: first depth that does not": plain_fail,
        "residual: deepest depth that trains": res_ok,
    }
    for f in ("batchnorm", "layernorm"):
        ok, fail = deepest[f]
        computed[f"{f} (no skip): deepest depth that trains"] = ok
        computed[f"{f} (no skip): first depth that does not"] = fail
    final = {f: [round(v, 3) for v in res["final_loss"][f][0]] for f in res["families"]}
    computed["final training loss by depth " + str(list(res["depths"]))] = final
    st = res["settings"]
    method = (
        f"experiments.trainability.depth_trainability: depths {list(res['depths'])}, "
        f"width {st['width']}, {st['n_train']} MNIST-1D signals, SGD lr {st['lr']}, "
        f"{st['epochs']} epochs, seeds {list(res['seeds'])}; a depth trains when every "
        f"seed's final training loss is below {st['trains_below']} (chance: ln 10 = "
        f"{st['chance']:.3f}) and so does every shallower depth"
    )
    return computed, cmp, method
