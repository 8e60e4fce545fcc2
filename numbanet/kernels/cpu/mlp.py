"""A whole training epoch of a dense network in one compiled call (CPU).

For the common case (Dense layers with elementwise activations, one of the standard losses, plain
SGD with Nielsen's weight decay) the Python-level loop over minibatches costs more than the
arithmetic on Nielsen-sized nets (784-30-10, minibatch 10: ~1 MFLOP per step). This kernel runs
the gather, forward pass, loss, backward pass and update of every minibatch of a chunk of the
epoch without returning to Python. It computes exactly what the layer-by-layer path computes
(``tests/test_fused.py`` checks it).

Layout: all parameters live in one flat buffer (``flat``); layer l's W is
``flat[w_off[l] : w_off[l] + d_out*d_in]`` viewed as (d_out, d_in) and its b is
``flat[b_off[l] : b_off[l] + d_out]``. Workspaces are flat and sliced per layer.

Loss codes: 0 squared error on a = act(z) (cost 1/2||a - y||^2 times ``cost_c``); 1 softmax
cross-entropy from logits with integer labels; 2 sigmoid cross-entropy from logits (per unit);
3 softmax cross-entropy from logits with probability targets.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...config import FASTMATH
from ..scalar import act_df, act_f, sigmoid, softplus


@njit(cache=True, fastmath=FASTMATH)
def mlp_sgd_chunk(
    X, T, labels, perm, start, stop, bs, flat, w_off, b_off, sizes, acts, alphas,
    loss_kind, cost_c, lr, decay_w, xb, zws, aws, dws, dW, db,
):  # fmt: skip
    """Train on examples perm[start:stop] in minibatches of ``bs``; return the summed cost."""
    L = sizes.shape[0] - 1
    total = 0.0
    s = start
    while s < stop:
        e = min(s + bs, stop)
        m = e - s
        d0 = sizes[0]
        x = xb[: m * d0].reshape(m, d0)
        for r in range(m):
            x[r, :] = X[perm[s + r], :]
        # ---------------- forward
        prev = x
        zo = 0
        for l in range(L):
            din = sizes[l]
            dout = sizes[l + 1]
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            z = zws[zo : zo + m * dout].reshape(m, dout)
            a = aws[zo : zo + m * dout].reshape(m, dout)
            np.dot(prev, W.T, z)
            code = acts[l]
            al = alphas[l]
            for i in range(m):
                for j in range(dout):
                    v = z[i, j] + b[j]
                    z[i, j] = v
                    a[i, j] = act_f(code, v, al)
            prev = a
            zo += m * dout
        # ---------------- loss and output error delta^L
        k = sizes[L]
        zo -= m * k
        z = zws[zo : zo + m * k].reshape(m, k)
        a = aws[zo : zo + m * k].reshape(m, k)
        delta = dws[0, : m * k].reshape(m, k)
        sc = cost_c / m
        code = acts[L - 1]
        al = alphas[L - 1]
        for i in range(m):
            row = perm[s + i]
            if loss_kind == 0:
                for j in range(k):
                    d = a[i, j] - T[row, j]
                    total += cost_c * 0.5 * d * d
                    delta[i, j] = sc * d * act_df(code, z[i, j], a[i, j], al)
            elif loss_kind == 2:
                for j in range(k):
                    v = z[i, j]
                    t = T[row, j]
                    total += cost_c * (softplus(v) - t * v)
                    delta[i, j] = sc * (sigmoid(v) - t)
            else:
                mx = z[i, 0]
                for j in range(1, k):
                    mx = max(mx, z[i, j])
                ssum = 0.0
                for j in range(k):
                    ssum += math.exp(z[i, j] - mx)
                lse = mx + math.log(ssum)
                if loss_kind == 1:
                    y = labels[row]
                    total += lse - z[i, y]
                    for j in range(k):
                        g = math.exp(z[i, j] - lse)
                        if j == y:
                            g -= 1.0
                        delta[i, j] = sc * g
                else:
                    tsum = 0.0
                    for j in range(k):
                        t = T[row, j]
                        total += t * (lse - z[i, j])
                        tsum += t
                    for j in range(k):
                        delta[i, j] = sc * (math.exp(z[i, j] - lse) * tsum - T[row, j])
        # ---------------- backward and update, last layer first
        cur = 0
        for l in range(L - 1, -1, -1):
            din = sizes[l]
            dout = sizes[l + 1]
            delta = dws[cur, : m * dout].reshape(m, dout)
            W = flat[w_off[l] : w_off[l] + dout * din].reshape(dout, din)
            b = flat[b_off[l] : b_off[l] + dout]
            if l == 0:
                prev = x
            else:
                prev = aws[zo - m * din : zo].reshape(m, din)
            gW = dW[: dout * din].reshape(dout, din)
            np.dot(delta.T, prev, gW)
            for j in range(dout):
                acc = 0.0
                for i in range(m):
                    acc += delta[i, j]
                db[j] = acc
            if l > 0:
                nd = dws[1 - cur, : m * din].reshape(m, din)
                np.dot(delta, W, nd)  # uses W before its update
                zp = zws[zo - m * din : zo].reshape(m, din)
                ap = aws[zo - m * din : zo].reshape(m, din)
                pc = acts[l - 1]
                pa = alphas[l - 1]
                for i in range(m):
                    for j in range(din):
                        nd[i, j] *= act_df(pc, zp[i, j], ap[i, j], pa)
                zo -= m * din
            for j in range(dout):
                for q in range(din):
                    W[j, q] = decay_w * W[j, q] - lr * gW[j, q]
                b[j] -= lr * db[j]
            cur = 1 - cur
        s = e
    return total
