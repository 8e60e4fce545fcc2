"""Central finite differences, the oracle of the reference backend (float64)."""

from __future__ import annotations

import numpy as np


def numeric_grad(f, x, h=1e-6):
    """d f / d x by central differences; ``f`` reads ``x`` (modified in place and restored)."""
    g = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        fp = f()
        x[i] = old - h
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def check_model_grads(net, x, y, loss, rtol=1e-6, atol=1e-8, h=1e-6):
    """Compare every parameter gradient and the input gradient of ``net`` (reference backend,
    float64) with finite differences of ``loss``. Returns the worst relative error."""
    x = np.array(x, dtype=np.float64)
    out = net.forward(x, training=False)
    loss.forward(out, y)
    for p in net.parameters():
        p.zero_grad()
    dx = net.backward(loss.backward())

    def f():
        return loss.forward(net.forward(x, training=False), y)

    worst = 0.0
    for p in net.parameters():
        num = numeric_grad(f, p.value, h)  # reference backend: p.value is the live array
        np.testing.assert_allclose(p.grad, num, rtol=rtol, atol=atol, err_msg=p.name)
        worst = max(worst, float(np.max(np.abs(p.grad - num))))
    num_x = numeric_grad(f, x, h)
    np.testing.assert_allclose(dx, num_x, rtol=rtol, atol=atol, err_msg="input gradient")
    return worst
