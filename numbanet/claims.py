"""The slides' quantitative claims, each recomputed by numbanet's own engine and theory code.

Every claim is one small function registered with ``@claim``; it returns a ``ClaimResult`` with the
slide's statement and value, the value computed here (never a literal), the method, and a verdict:

* ``holds``   - the computation agrees exactly;
* ``approx``  - agrees within a stated tolerance (the explanation says which and why);
* ``differs`` - the slide and the computation disagree (the explanation says why, e.g. a typo);
* ``skipped`` - not checked here (e.g. ``--fast``, or MNIST absent).

A claim also declares the verdicts it is *expected* to reach (e.g. ``differs`` for a known typo);
``failed`` is set when a computed verdict is not one of them, which is what makes
``numbanet claims`` exit non-zero: the code that should reproduce a slide no longer does.

Reruns with other inputs go through the same public API, e.g.
``numbanet.theory.regions.udl_max_regions(d_in, width, depth)`` or ``numbanet regions 2-8-8-1``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

VERDICTS = ("holds", "approx", "differs", "skipped", "error")


@dataclasses.dataclass
class ClaimResult:
    id: int
    statement: str
    slide_value: Any
    computed: Any
    verdict: str
    explanation: str
    method: str
    figure: str | None = None
    failed: bool = False
    seconds: float = 0.0

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["computed"] = _jsonable(self.computed)
        d["slide_value"] = _jsonable(self.slide_value)
        return d


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, int) and abs(v) > 2**53:
        return str(v)  # exact big integers survive JSON as strings
    return v


_REGISTRY: dict[int, dict] = {}


def claim(cid, statement, slide_value, figure=None, expensive=False, expect=("holds", "approx"),
          needs=()):  # fmt: skip
    """Register a claim function ``fn() -> (computed, verdict, explanation, method)``."""

    def deco(fn):
        _REGISTRY[cid] = dict(fn=fn, statement=statement, slide_value=slide_value, figure=figure,
                              expensive=expensive, expect=tuple(expect), needs=tuple(needs))  # fmt: skip
        return fn

    return deco


def list_claims():
    return [dict(id=k, statement=v["statement"], figure=v["figure"], expensive=v["expensive"])
            for k, v in sorted(_REGISTRY.items())]  # fmt: skip


def _data_available(name):
    from . import data

    if name == "mnist":
        return data.find_mnist() is not None
    if name == "semeion":
        return getattr(data, "find_semeion", lambda: None)() is not None
    return True


def check(cid, fast=False):
    """Run claim ``cid`` and return its ``ClaimResult``."""
    import time

    from .errors import ValidationError

    if cid not in _REGISTRY:
        raise ValidationError(
            f"no claim {cid}; the claims are numbered {min(_REGISTRY)}-{max(_REGISTRY)}"
        )
    c = _REGISTRY[cid]
    base = dict(id=cid, statement=c["statement"], slide_value=c["slide_value"], figure=c["figure"])
    if fast and c["expensive"]:
        return ClaimResult(**base, computed=None, verdict="skipped",
                           explanation="expensive (trains networks on MNIST); skipped by --fast",
                           method="not run")  # fmt: skip
    for need in c["needs"]:
        if not _data_available(need):
            return ClaimResult(**base, computed=None, verdict="skipped",
                               explanation=f"{need} not found (set NUMBANET_DATA or allow the download)",
                               method="not run")  # fmt: skip
    t0 = time.perf_counter()
    try:
        computed, verdict, explanation, method = c["fn"]()
    except Exception as e:  # one broken claim must not hide the others: report it as an error
        computed, verdict, method = None, "error", "raised"
        explanation = f"{type(e).__name__}: {e}"
    res = ClaimResult(**base, computed=computed, verdict=verdict, explanation=explanation,
                      method=method, seconds=time.perf_counter() - t0)  # fmt: skip
    res.failed = verdict == "error" or (verdict not in c["expect"] and verdict != "skipped")
    return res


def check_all(ids=None, fast=False):
    """Every claim (or ``ids``), in order."""
    ids = sorted(_REGISTRY) if not ids else list(ids)
    return [check(i, fast=fast) for i in ids]


def print_table(results, console=None):
    """A rich table of results."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    colour = {"holds": "green", "approx": "cyan", "differs": "yellow", "skipped": "dim", "error": "red"}
    t = Table(title="The slides' claims, recomputed by numbanet", show_lines=True)
    for col in ("#", "statement", "slide", "numbanet", "verdict", "why / method"):
        t.add_column(col, overflow="fold")
    for r in results:
        v = f"[{colour[r.verdict]}]{r.verdict}[/]" + (" [red]FAILED[/]" if r.failed else "")
        t.add_row(str(r.id), r.statement, _fmt(r.slide_value), _fmt(r.computed), v,
                  f"{r.explanation}\n[dim]{r.method}[/]")  # fmt: skip
    console.print(t)
    n = {k: sum(r.verdict == k for r in results) for k in VERDICTS}
    failed = sum(r.failed for r in results)
    console.print(
        ", ".join(f"{v} {k}" for k, v in n.items()) + (f"; {failed} FAILED" if failed else "")
    )


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) < 10**15 else f"{v:.4e}"
    if isinstance(v, dict):
        return "\n".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(x) for x in np.asarray(v, dtype=object).ravel().tolist()) + "]"
    return str(v)


# ============================================================================ helpers
def udl_nets(backend="reference"):
    """net1 and net2 of the UDL composition slides as real ``Sequential`` models, plus their
    compositions (stacking the layers: the output Dense of one feeds the hidden Dense of the
    next, with no activation in between)."""
    from .nn import Dense, ReLU, Sequential

    net1 = dict(h=[(0.0, -1.0), (0.0, 1.0), (-0.67, 1.0)], o=[1.0, -2.0, -3.0, 9.3])
    net2 = dict(h=[(-0.6, -1.0), (0.2, 1.0), (-0.5, 1.0)], o=[0.5, -1.0, -1.5, 2.0])

    def layers(spec):
        a, b = Dense(1, 3), Dense(3, 1)
        return [a, ReLU(), b], spec

    def build(*specs):
        stack, sets = [], []
        for s in specs:
            ls, spec = layers(s)
            stack += ls
            sets.append((ls[0], ls[2], spec))
        net = Sequential(stack, backend=backend, dtype=np.float64, seed=0)
        for d1, d2, spec in sets:
            d1.W.value = np.array([[r[1]] for r in spec["h"]])
            d1.b.value = np.array([r[0] for r in spec["h"]])
            d2.W.value = np.array([spec["o"][1:]])
            d2.b.value = np.array([spec["o"][0]])
        return net

    return {
        "net1": build(net1),
        "net2": build(net2),
        "net2(net1)": build(net1, net2),
        "net1(net1)": build(net1, net1),
        "net2(net1(net1))": build(net1, net1, net2),
    }


# ============================================================================ the claims
@claim(1, "Shallow net, 1 input/1 output, D hidden units: at most D + 1 linear regions and "
          "3D + 1 parameters", "D + 1 regions; 3D + 1 parameters", figure="compose-vs-shallow")  # fmt: skip
def _c1():
    from .theory import regions as R

    Ds = range(1, 21)
    params = [R.parameter_count([1, D, 1]) for D in Ds]
    bound = [R.zaslavsky(1, D) for D in Ds]
    # exact counts of random shallow engine nets never exceed D + 1
    from .nn import Dense, ReLU, Sequential

    worst = 0
    for D in (3, 6, 12):
        for s in range(5):
            net = Sequential([Dense(1, D), ReLU(), Dense(D, 1)], backend="reference", seed=s,
                             dtype=np.float64)  # fmt: skip
            worst = max(worst, R.count_1d(net, -10.0, 10.0).regions - (D + 1))
    ok = params == [3 * D + 1 for D in Ds] and bound == [D + 1 for D in Ds] and worst <= 0
    return (
        {"parameters(D=1..20)": params[:5] + ["..."], "max regions(D=1..20)": bound[:5] + ["..."],
         "exact counts minus (D+1), worst": worst},
        "holds" if ok else "differs",
        "parameter_count([1, D, 1]) = 3D + 1 and Zaslavsky's bound with one input is D + 1 for every "
        "D = 1..20; exact counts of 15 random engine nets never exceed D + 1",
        "theory.regions.parameter_count, zaslavsky, count_1d on Sequential nets",
    )  # fmt: skip


@claim(2, "K hidden layers of D units, 1 input/1 output: (D + 1)^K regions and "
          "3D + 1 + (K - 1)(D^2 + D) parameters; K = 5, D = 10 gives 471 parameters and '161501' regions",
       {"parameters": 471, "regions": 161501}, figure="regions-per-parameter",
       expect=("differs",))  # fmt: skip
def _c2():
    from .theory import regions as R

    p = R.parameter_count([1] + [10] * 5 + [1])
    formula = 3 * 10 + 1 + (5 - 1) * (10**2 + 10)
    regions = R.deep_1d_max(10, 5)
    verdict = "differs" if (p == 471 and formula == p and regions != 161501) else "holds"
    return (
        {"parameters": p, "regions (D+1)^K": regions},
        verdict,
        f"the parameter count {p} holds; (10 + 1)^5 = {regions:,}, so the slide's '161501' is a "
        "typo (two digits swapped)",
        "theory.regions.parameter_count([1,10,10,10,10,10,1]) and deep_1d_max(10, 5)",
    )


@claim(3, "K = 5, D = 50, 10 inputs: 10,801 parameters and more than 1e40 regions "
          "(UDL eq. 4.17 as corrected)", {"parameters": 10801, "regions": "> 1e40"},
       figure="regions-per-parameter")  # fmt: skip
def _c3():
    from .theory import regions as R

    p = R.parameter_count([10] + [50] * 5 + [1])
    n = R.udl_max_regions(10, 50, 5)
    ok = p == 10801 and n > 1e40
    return (
        {"parameters": p, "regions": float(n)},
        "holds" if ok else "differs",
        f"(50/10 + 1)^(10*4) * sum_(j<=10) C(50, j) = {float(n):.4e} > 1e40",
        "theory.regions.parameter_count and udl_max_regions(10, 50, 5), exact integers",
    )


@claim(4, "Composition multiplies pieces: 3 x 4 = 12 (net2 after net1), 9 (net1 after net1), "
          "36 (three stages)", {"net1": 3, "net2": 4, "net2(net1)": 12, "net1(net1)": 9,
                                "net2(net1(net1))": 36}, figure="compose-1d")  # fmt: skip
def _c4():
    from .theory import regions as R

    expect = {"net1": 3, "net2": 4, "net2(net1)": 12, "net1(net1)": 9, "net2(net1(net1))": 36}
    got = {k: int(R.count_1d(net, -1.0, 1.0).pieces) for k, net in udl_nets().items()}
    return (
        got,
        "holds" if got == expect else "differs",
        "linear pieces on [-1, 1] counted exactly (breakpoints traced layer by layer) on the slides' "
        "nets built as Sequential models",
        "theory.regions.count_1d on numbanet Sequential nets",
    )


@claim(
    5,
    "UDL fig. 20.2: 15,208 / 15,210 / 15,235 / 15,139 parameters for 1-4 hidden layers "
    "(40 inputs, 10 outputs); deeper nets fit random labels in fewer epochs",
    [15208, 15210, 15235, 15139],
    figure="mnist1d-random-labels",
    expect=("differs",),
)
def _c5():
    from .theory import regions as R

    widths = {1: [298], 2: [100] * 2, 3: [75] * 3, 4: [63] * 4}
    counts = [R.parameter_count([40] + h + [10]) for h in widths.values()]
    slide = [15208, 15210, 15235, 15139]
    wrong = [k for k, (a, b) in zip(widths, zip(counts, slide)) if a != b]
    verdict = "holds" if not wrong else "differs"
    why = "all four parameter counts are exact"
    if wrong:
        why = (
            f"the counts for {', '.join(map(str, [1, 2, 3]))} hidden layers are exact; with 4 layers "
            f"of 63 units the net holds 40*63+63 + 3*(63*63+63) + 63*10+10 = {counts[3]:,}, so the "
            f"slide's {slide[3]:,} swaps two digits"
            if wrong == [4]
            else f"counts differ for {wrong} hidden layers"
        )
    return (
        counts,
        verdict,
        why + ". The epochs-to-fit part is the mnist1d-random-labels figure (reduced budget by "
        "default, --full for the original)",
        "theory.regions.parameter_count([40, 298, 10]) etc.",
    )


@claim(6, "Zaslavsky: D_i = 2, D = 3 gives at most 7 regions; D_i = 10, D = 50 gives "
          "13,432,735,556", {"(2,3)": 7, "(10,50)": 13432735556}, figure="regions-depth-width")  # fmt: skip
def _c6():
    from .nn import Dense, ReLU, Sequential
    from .theory import regions as R

    a, b = R.zaslavsky(2, 3), R.zaslavsky(10, 50)
    counts = []
    for s in range(5):
        # lines in general position: random biases, a box large enough to hold every crossing
        net = Sequential([Dense(2, 3, bias_init="normal"), ReLU(), Dense(3, 1)],
                         backend="reference", seed=s, dtype=np.float64)  # fmt: skip
        counts.append(int(R.count_2d(net, (-1e3, 1e3, -1e3, 1e3)).regions))
    ok = a == 7 and b == 13432735556 and max(counts) <= 7 and 7 in counts
    return (
        {"(2,3)": a, "(10,50)": b, "exact 2-D counts of random 2-3-1 nets": counts},
        "holds" if ok else "differs",
        "sum_(j<=D_i) C(D, j); exact polygon counts of random 2-3-1 engine nets reach but never "
        "exceed 7",
        "theory.regions.zaslavsky and count_2d",
    )


@claim(7, "sigma'(z) <= 1/4; a chain of sigmoid layers shrinks the gradient", "max sigma' = 1/4",
       figure="sigmoid-vs-relu")  # fmt: skip
def _c7():
    from .nn import Dense, Sequential, Sigmoid

    z = np.linspace(-10, 10, 200001)
    d = Sigmoid().derivative(z)
    mx = float(d.max())
    # a chain of 10 sigmoid units with unit weights: dy/dx through the engine's backward pass
    layers = []
    for _ in range(10):
        layers += [Dense(1, 1, init="zeros"), Sigmoid()]
    net = Sequential(layers, backend="reference", dtype=np.float64)
    for layer in net.layers[::2]:
        layer.W.value = np.ones((1, 1))
    net.forward(np.zeros((1, 1)))
    g = float(net.backward(np.ones((1, 1)))[0, 0])
    ok = abs(mx - 0.25) < 1e-12 and g <= 0.25**10
    return (
        {"max sigma'": mx, "argmax z": float(z[d.argmax()]), "dy/dx through 10 sigmoid layers": g},
        "holds" if ok else "differs",
        f"sigma'(0) = 1/4 is the maximum; through 10 unit-weight sigmoid layers the gradient is "
        f"{g:.3e} <= 4^-10 = {0.25**10:.3e}",
        "Sigmoid.derivative on a grid; Sequential.backward through a 10-layer chain",
    )


@claim(8, "Per-layer speeds at initialisation (Nielsen): each layer learns several times slower "
          "than the next; the first of four about 100 times slower than the fourth",
       [0.00298, 0.01708, 0.06954, 0.28514], figure="gradient-speed-bars", needs=("mnist",))  # fmt: skip
def _c8():
    from .data import load_mnist
    from .theory import gradient_speed as G

    d = load_mnist()
    x, y = d.x_train[:1000].astype(np.float64), d.y_train[:1000]
    s = G.initial_speeds((784, 30, 30, 30, 30, 10), x, y, seeds=range(10))
    m = s.mean(axis=0)
    ratios = m[1:] / m[:-1]
    first_to_last = m[-1] / m[0]
    ok = bool(np.all(ratios > 3)) and 50 < first_to_last < 200
    return (
        {
            "speeds (mean of 10 seeds)": np.round(m, 5).tolist(),
            "next/previous": np.round(ratios, 2).tolist(),
            "fourth/first": round(float(first_to_last), 1),
        },
        "approx" if ok else "differs",
        f"ratios between consecutive layers {np.round(ratios, 1).tolist()} (several times); the "
        f"fourth layer is {first_to_last:.0f}x faster than the first. Values depend on the random "
        "initialisation, so the mean of 10 seeds is compared (within a factor 2 of Nielsen's)",
        "theory.gradient_speed.initial_speeds on MNIST's first 1,000 training images",
    )


@claim(9, "MNIST validation accuracy with 1-4 hidden layers of 30 sigmoid units (30 epochs, "
          "minibatch 10, eta 0.1, lambda 5.0): 96.48 / 96.90 / 96.57 / 96.53 %",
       [96.48, 96.90, 96.57, 96.53], figure="depth-accuracy", expensive=True,
       needs=("mnist",), expect=("holds", "approx", "differs"))  # fmt: skip
def _c9():
    res = depth_accuracy(seeds=(0, 1, 2), epochs=30)
    mean = res["mean"]
    slide = np.array([96.48, 96.90, 96.57, 96.53])
    diff = np.abs(mean - slide)
    ok = bool(np.all(diff < 3 * np.maximum(res["std"], 0.15)))
    return (
        {"mean %": np.round(mean, 2).tolist(), "std %": np.round(res["std"], 2).tolist()},
        "approx" if ok else "differs",
        "mean and spread over seeds; a single run of each depth (the slide) varies by a few tenths "
        "of a percent with the seed, so the slide's ordering (2 layers best) is within the noise",
        "Sequential 784-30^k-10 sigmoid, SigmoidCrossEntropy, SGD with Nielsen's L2 decay, fit()",
    )


def depth_accuracy(seeds=(0, 1, 2), epochs=30, depths=(1, 2, 3, 4), backend="cpu", n_train=50000):
    """MNIST validation accuracy (%) of 784-30^k-10 sigmoid nets, Nielsen's set-up.

    Returns {"acc": array (len(seeds), len(depths)), "mean", "std", "curves"}."""
    from .data import mnist_split
    from .optim import SGD
    from .theory.gradient_speed import nielsen_network2

    s = mnist_split()
    acc = np.zeros((len(seeds), len(depths)))
    curves = np.zeros((len(seeds), len(depths), epochs))
    for i, seed in enumerate(seeds):
        for j, k in enumerate(depths):
            net = nielsen_network2([784] + [30] * k + [10], seed=seed, backend=backend,
                                   dtype=np.float32)  # fmt: skip
            opt = SGD(net.parameters(), lr=0.1, l2=5.0, n_train=n_train)
            h = net.fit(s.x_train[:n_train], s.y_train[:n_train], loss="sigmoid_cross_entropy",
                        optimizer=opt, epochs=epochs, batch_size=10, seed=seed,
                        validation=(s.x_val, s.y_val), progress=False)  # fmt: skip
            curves[i, j] = 100 * np.array(h["val_accuracy"])
            acc[i, j] = curves[i, j, -1]
    return {"acc": acc, "mean": acc.mean(axis=0), "std": acc.std(axis=0, ddof=1) if len(seeds) > 1
            else np.zeros(len(depths)), "curves": curves, "depths": list(depths)}  # fmt: skip


@claim(10, "SGD noise ball: limsup E||W_t - w*||^2 <= alpha (sigma^2 / B + mu^2) / (2c); the ball "
           "shrinks with alpha and with B", "bound alpha (sigma^2/B + mu^2)/(2c)", figure="noise-ball")  # fmt: skip
def _c10():
    from .theory import noise_ball as NB

    return NB.claim_check()


@claim(11, "Momentum with beta1 = 0.9: m_1 = 0.1 g_1, m_2 = 0.1 g_2 + 0.09 g_1; the bias-corrected "
           "m is a convex combination of the gradients", "m_2 = 0.1 g_2 + 0.09 g_1",
       figure="momentum-bias-correction")  # fmt: skip
def _c11():
    from .nn import Dense, Sequential
    from .optim import Momentum

    net = Sequential([Dense(1, 1, init="zeros")], backend="reference", dtype=np.float64)
    w = net.layers[0].W
    opt = Momentum([w], lr=1.0, beta1=0.9)
    g = [3.0, 5.0, -2.0, 4.0]
    ms = []
    for gt in g:
        w.grad = np.array([[gt]])
        opt.step()
        ms.append(float(opt.state_arrays()["m"][0].reshape(-1)[0]))
    m1, m2 = ms[0], ms[1]
    ok12 = math.isclose(m1, 0.1 * g[0], rel_tol=1e-12) and math.isclose(
        m2, 0.1 * g[1] + 0.09 * g[0], rel_tol=1e-12
    )
    # bias-corrected weights sum to 1 (a convex combination)
    t = len(g)
    weights = [(1 - 0.9) * 0.9 ** (t - 1 - i) / (1 - 0.9**t) for i in range(t)]
    corrected = ms[-1] / (1 - 0.9**t)
    ok3 = math.isclose(sum(weights), 1.0, rel_tol=1e-12) and math.isclose(
        corrected, sum(wi * gi for wi, gi in zip(weights, g)), rel_tol=1e-12
    )
    return (
        {"m_1": m1, "m_2": m2, "0.1 g_1": 0.1 * g[0], "0.1 g_2 + 0.09 g_1": 0.1 * g[1] + 0.09 * g[0],
         "sum of corrected weights (t=4)": sum(weights)},
        "holds" if ok12 and ok3 else "differs",
        f"with g = {g}: the optimiser's m_1, m_2 equal the slide's expressions; m_4 / (1 - 0.9^4) "
        "equals the weighted sum of g_1..g_4 with non-negative weights summing to 1",
        "numbanet.optim.Momentum state after step() on fixed gradients",
    )  # fmt: skip


@claim(12, "Variance propagation: E[(z^l)^2] = (d v / 2) E[(z^(l-1))^2] for ReLU; He (v = 2/d) keeps "
           "it constant, LeCun (v = 1/d) halves it per layer", "He: x1 per layer; LeCun: x1/2",
       figure="init-variance")  # fmt: skip
def _c12():
    from .theory import init_variance as IV

    return IV.claim_check()


@claim(13, "An orthogonal W preserves ||W h||", "||W h|| = ||h||", figure="rnn-lstm")  # fmt: skip
def _c13():
    from . import init as I

    rng = np.random.default_rng(0)
    W = I.orthogonal(rng, (64, 64), 64, 64, dtype=np.float64)
    h = rng.standard_normal((1000, 64))
    ratio = np.linalg.norm(h @ W.T, axis=1) / np.linalg.norm(h, axis=1)
    err = float(np.abs(ratio - 1).max())
    return (
        {
            "max | ||Wh|| / ||h|| - 1 |": err,
            "||W^T W - I||_max": float(np.abs(W.T @ W - np.eye(64)).max()),
        },
        "holds" if err < 1e-12 else "differs",
        "1,000 random vectors through numbanet's orthogonal initialiser (64 x 64): norms kept to "
        "rounding error",
        "numbanet.init.orthogonal",
    )


@claim(14, "The perceptron converges on AND, NOR, NOT and never on XOR",
       {"AND": True, "NOR": True, "NOT": True, "XOR": False}, figure="perceptron-training")  # fmt: skip
def _c14():
    from .data.toy import logic_gate
    from .unsupervised import Perceptron

    out = {}
    for g in ("and", "or", "nor", "not", "xor"):
        X, y = logic_gate(g)
        p = Perceptron(X.shape[1])
        p.fit(X, y, epochs=100)  # returns the errors per epoch; sets .converged
        out[g.upper()] = bool(p.converged)
    ok = out == {"AND": True, "OR": True, "NOR": True, "NOT": True, "XOR": False}
    return (
        out,
        "holds" if ok else "differs",
        "the slide's rule w <- w + (y - y_hat) x reaches zero errors on the linearly separable "
        "gates and never on XOR within 100 epochs (no line separates XOR's classes)",
        "numbanet.unsupervised.Perceptron.fit on the truth tables",
    )


@claim(15, "The slide's 6x6 example with the vertical-edge filter gives "
           "[[2,-4,0,2],[0,-5,2,1],[0,-2,3,-1],[4,0,0,0]]; dim(out) = dim(x) - dim(filter) + 1 + "
           "2 padding; same padding = (dim(filter) - 1)/2; full = dim(filter) - 1",
       [[2, -4, 0, 2], [0, -5, 2, 1], [0, -2, 3, -1], [4, 0, 0, 0]], figure="conv-example")  # fmt: skip
def _c15():
    from .nn import Sequential
    from .nn.conv import Conv2D

    x = np.array([[3, 1, 0, 2, 1, 0], [2, 0, 1, 3, 2, 1], [0, 1, 2, 1, 0, 3], [4, 0, 3, 2, 2, 1],
                  [1, 1, 0, 1, 0, 1], [3, 2, 1, 0, 2, 1]], dtype=np.float64)[None, None]  # fmt: skip
    f = np.array([[1, 0, -1]] * 3, dtype=np.float64)
    outs, sizes = {}, {}
    for backend in ("reference", "cpu"):
        for pad in ("valid", "same", "full"):
            conv = Conv2D(1, 1, 3, padding=pad)
            net = Sequential([conv], backend=backend, dtype=np.float64, input_shape=(1, 6, 6))
            conv.W.value = f[None, None]
            conv.b.value = np.zeros(1)
            o = net.forward(x)[0, 0]
            sizes[pad] = o.shape[0]
            if pad == "valid":
                outs[backend] = o.astype(int).tolist()
    expect = [[2, -4, 0, 2], [0, -5, 2, 1], [0, -2, 3, -1], [4, 0, 0, 0]]
    formula = {"valid": 6 - 3 + 1, "same": 6 - 3 + 1 + 2 * 1, "full": 6 - 3 + 1 + 2 * 2}
    ok = all(v == expect for v in outs.values()) and sizes == formula
    return (
        {"valid output": outs["cpu"], "sizes": sizes},
        "holds" if ok else "differs",
        "cross-correlation by the reference and CPU Conv2D; output sizes 4 (valid), 6 (same, "
        "padding 1), 8 (full, padding 2) follow the formula",
        "numbanet.nn.Conv2D forward on the slide's input",
    )  # fmt: skip


@claim(16, "LeNet summary: output shapes (26,26,6), (13,13,6), (11,11,16), (5,5,16), 400, 120, 84, "
           "10; parameters 60, 0, 880, 0, 0, 48,120, 10,164, 850",
       {"params": [60, 0, 880, 0, 0, 48120, 10164, 850]}, figure="lenet")  # fmt: skip
def _c16():
    from .models import lenet

    net = lenet(backend="reference")
    rows = []
    shapes = net.layer_output_shapes((1, 28, 28))
    for layer, s in zip(net.layers, shapes):
        if layer.n_params() or type(layer).__name__ in ("AvgPool2D", "MaxPool2D", "Flatten"):
            rows.append((type(layer).__name__, s, layer.n_params()))
    keras = [tuple(s[1:]) + (s[0],) if len(s) == 3 else s for _, s, _ in rows]
    params = [p for _, _, p in rows]
    expect_shapes = [
        (26, 26, 6),
        (13, 13, 6),
        (11, 11, 16),
        (5, 5, 16),
        (400,),
        (120,),
        (84,),
        (10,),
    ]
    ok = params == [60, 0, 880, 0, 0, 48120, 10164, 850] and keras == expect_shapes
    return (
        {"shapes (channels last)": [list(k) for k in keras], "params": params,
         "total": net.n_params()},
        "holds" if ok else "differs",
        "numbanet's LeNet (NCHW internally) reports the Keras summary's shapes and counts",
        "numbanet.models.lenet().layer_output_shapes and n_params per layer",
    )  # fmt: skip


@claim(17, "A 16x16 letter classifier with 100 hidden units and 26 outputs has 256*(100+1) input "
           "weights and 100*(26+1) output weights", {"input": 256 * 101, "output": 100 * 27},
       expect=("differs",))  # fmt: skip
def _c17():
    from .nn import Dense, Sequential, Sigmoid

    net = Sequential([Dense(256, 100), Sigmoid(), Dense(100, 26)], backend="reference")
    a = net.layers[0].n_params()
    b = net.layers[2].n_params()
    slide_a, slide_b = 256 * (100 + 1), 100 * (26 + 1)
    verdict = "holds" if (a, b) == (slide_a, slide_b) else "differs"
    return (
        {"input layer": a, "output layer": b, "total": a + b},
        verdict,
        f"each unit has one weight per input plus a bias: (256 + 1) * 100 = {a:,} and "
        f"(100 + 1) * 26 = {b:,}; the slide's 256*(100+1) = {slide_a:,} and 100*(26+1) = "
        f"{slide_b:,} put the +1 on the wrong factor",
        "Dense(256, 100) and Dense(100, 26) parameter counts",
    )


@claim(18, "A feature map with a 5x5 receptive field has 26 weights", 26, figure="lenet")  # fmt: skip
def _c18():
    from .nn.conv import Conv2D

    n = Conv2D(1, 1, 5).n_params()
    return (
        n,
        "holds" if n == 26 else "differs",
        "25 shared weights plus one bias for a single-channel input (with C input channels it is "
        "25 C + 1)",
        "numbanet.nn.Conv2D(1, 1, 5).n_params()",
    )


@claim(19, "Dropout: scaling the weights by p at test time equals inverted dropout in expectation",
       "E[train output] = test output", figure="regularization")  # fmt: skip
def _c19():
    from .nn import Dense, Sequential
    from .nn.dropout import Dropout

    rng = np.random.default_rng(0)
    keep = 0.8
    x = rng.standard_normal((1, 50))
    drop = Dropout(1 - keep)
    net = Sequential([drop, Dense(50, 1)], backend="cpu", dtype=np.float64, seed=0)
    reps = 20000
    xs = np.repeat(x, reps, axis=0)
    train_mean = float(net.forward(xs, training=True).mean())
    test = float(net.forward(x, training=False)[0, 0])
    # the classic form: no scaling in training, weights times p at test time
    W, b = net.layers[1].W.value, net.layers[1].b.value
    classic = float((x @ (keep * W).T + b)[0, 0])
    masks = rng.random((reps, 50)) < keep
    classic_train = float(((xs * masks) @ W.T + b).mean())
    se = float(net.forward(xs, training=True).std() / np.sqrt(reps))
    ok = abs(train_mean - test) < 4 * se and abs(classic - classic_train) < 4 * se
    return (
        {"inverted: E[train]": train_mean, "inverted: test": test, "classic: E[train]": classic_train,
         "classic: test (W * p)": classic, "MC standard error": se},
        "approx" if ok else "differs",
        f"Monte-Carlo mean over {reps:,} dropout masks (keep p = {keep}) agrees with the test "
        "output within 4 standard errors, for both inverted dropout and the classic W * p rule",
        "numbanet.nn.Dropout in training vs evaluation mode",
    )  # fmt: skip


@claim(20, "Hidden layers with linear activation: the whole net is one affine map",
       "one affine map", figure="linear-hidden-collapse")  # fmt: skip
def _c20():
    from .nn import Dense, Identity, Sequential
    from .theory import regions as R

    net = Sequential([Dense(3, 8), Identity(), Dense(8, 8), Identity(), Dense(8, 2)],
                     backend="reference", dtype=np.float64, seed=0)  # fmt: skip
    Ws = [layer.W.value for layer in net.layers[::2]]
    bs = [layer.b.value for layer in net.layers[::2]]
    A, c = np.eye(3), np.zeros(3)
    for W, b in zip(Ws, bs):
        A, c = W @ A, W @ c + b
    x = np.random.default_rng(1).standard_normal((100, 3))
    err = float(np.abs(net.forward(x) - (x @ A.T + c)).max())
    net1 = Sequential([Dense(1, 8), Identity(), Dense(8, 8), Identity(), Dense(8, 1)],
                      backend="reference", dtype=np.float64, seed=2)  # fmt: skip
    pieces = int(R.count_1d(net1, -5.0, 5.0).pieces)
    ok = err < 1e-12 and pieces == 1
    return (
        {"max |net(x) - (A x + c)|": err, "linear pieces of a 1-8-8-1 linear net": pieces},
        "holds" if ok else "differs",
        "the product of the weight matrices and the propagated biases reproduce the net to rounding "
        "error; exact counting finds a single linear piece",
        "Sequential forward vs the composed affine map; theory.regions.count_1d",
    )


__all__ = ["ClaimResult", "check", "check_all", "claim", "list_claims", "print_table",
           "depth_accuracy", "udl_nets"]  # fmt: skip
