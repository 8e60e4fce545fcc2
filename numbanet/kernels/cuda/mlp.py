r"""The fused training step of a tiny dense net on the GPU: one kernel launch per minibatch.

A layer-by-layer step of an L-layer dense net launches one kernel per product, bias, activation,
loss, zero_grad and update (about 6L + 4 launches). For a tiny net (the 1-10x5-1 regression
net, Nielsen's 784-30-10) each of those kernels has a few hundred threads of work and the step
costs what the launches cost. ``mlp_step`` does the whole step in ONE launch of ONE block:

1. forward, layer by layer: thread e of the block computes outputs e, e + B, e + 2B, ... of
   z = a_prev W^T + b and a = act(z) (B threads), reading the minibatch's rows of X straight
   through the permutation (no gather);
2. the output error delta^L = (c / m) dC/dz and each example's cost (loss codes of
   ``numbanet.codes.FusedLoss``, the CPU fused kernel's ``_output_delta``), and the examples
   classified right before the update;
3. backward and update, last layer first: the next delta (delta W) * act'(z) with the *old*
   W, then every W[j, q] <- decay W[j, q] - lr u, u = sum_i delta[i, j] a_prev[i, q] (or the
   velocity v <- beta v + damp u with momentum), biases likewise without decay;
4. the minibatch's cost summed by a shared-memory tree and added (Kahan-compensated) into an
   accumulator on the device; the right answers into a counter. ``fit`` reads both once per
   epoch.

``syncthreads`` separates the phases; each thread owns what it writes within a phase (an
output, a delta, a weight), so there are no atomics and the result is deterministic: every
sum runs in a fixed order whatever the block size. One block needs no grid-wide barrier,
which is what lets a whole step be one launch; the price is that a step uses one SM, so the
path is for tiny nets only (``numbanet.backends.cuda.FUSED_MAX_PARAMS``), whose parameters
and activations (a few tens of KB) stay in the SM's L1/L2 between phases.

Every constant is in the parameters' float type (no FP64 in the float32 build; checked by the
PTX lane).
"""

from __future__ import annotations

import math

from numba import float32, float64, int64

from ..._cuda import cuda as _cuda_mod
from ..._cuda import kernel
from ..scalar import act_df, act_f, fmax, sigmoid, softplus
from . import arrays

cuda = _cuda_mod()

#: Largest block (threads) the step is launched with; the reduction's shared arrays have this size.
MLP_MAX_THREADS = 1024


@kernel
def mlp_step(
    X,
    T,
    labels,
    perm,
    s,
    m,
    flat,
    mflat,
    w_off,
    b_off,
    sizes,
    acts,
    alphas,
    loss_kind,
    cost_c,
    sc,
    lr,
    decay,
    beta,
    damp,
    use_mom,
    zws,
    aws,
    dws,
    acc_labels,
    count,
    first,
    loss_acc,
    hits,
):
    """One minibatch step (rows perm[s : s + m]) of the dense net in ``flat``; one block.

    ``X`` (n, d_0) inputs; ``T`` (n, k) float targets (loss codes 0, 2, 3) or ``labels`` (n,)
    int64 (code 1); layer l's W is flat[w_off[l] : + d_out d_in] as (d_out, d_in), its b
    flat[b_off[l] : + d_out]; ``mflat`` the velocities laid out like ``flat`` (read only with
    ``use_mom``); ``zws``/``aws`` hold z and a of every layer (m rows each, layer after layer),
    ``dws`` (2, bs max width) the deltas, ping-pong. ``sc`` = cost_c / m. Adds the step's cost
    into ``loss_acc`` (value, Kahan error) and, when ``count``, its right answers into
    ``hits[0]`` (``first``: both are set, not added to: the epoch's first step)."""
    tid = cuda.threadIdx.x
    NT = cuda.blockDim.x
    F = flat.dtype.type
    zero = F(0)
    one = F(1)
    L = sizes.shape[0] - 1
    # ---------------- forward
    zo = 0
    po = 0  # offset of the previous layer's activations (l > 0)
    for l in range(L):
        din = sizes[l]
        dout = sizes[l + 1]
        wo = w_off[l]
        bo = b_off[l]
        code = acts[l]
        al = alphas[l]
        for e in range(tid, m * dout, NT):
            i = e // dout
            j = e - i * dout
            acc = flat[bo + j]
            w = wo + j * din
            if l == 0:
                row = perm[s + i]
                for q in range(din):
                    acc += flat[w + q] * X[row, q]
            else:
                src = po + i * din
                for q in range(din):
                    acc += flat[w + q] * aws[src + q]
            zws[zo + e] = acc
            aws[zo + e] = act_f(code, acc, al)
        cuda.syncthreads()
        po = zo
        zo += m * dout
    # ---------------- loss, output error delta^L, right answers
    k = sizes[L]
    zo -= m * k
    codeL = acts[L - 1]
    alL = alphas[L - 1]
    thr = F(0.5) if loss_kind == 0 else zero
    my_cost = zero
    my_hits = 0
    for i in range(tid, m, NT):
        row = perm[s + i]
        base = zo + i * k
        if loss_kind == 0:
            for j in range(k):
                d = aws[base + j] - T[row, j]
                my_cost += cost_c * F(0.5) * d * d
                dws[0, i * k + j] = sc * d * act_df(codeL, zws[base + j], aws[base + j], alL)
        elif loss_kind == 2:
            for j in range(k):
                v = zws[base + j]
                t = T[row, j]
                my_cost += cost_c * (softplus(v) - t * v)
                dws[0, i * k + j] = sc * (sigmoid(v) - t)
        else:
            mx = zws[base]
            for j in range(1, k):
                mx = fmax(mx, zws[base + j])
            ssum = zero
            for j in range(k):
                ssum += math.exp(zws[base + j] - mx)
            lse = mx + math.log(ssum)
            if loss_kind == 1:
                y = labels[row]
                my_cost += lse - zws[base + y]
                for j in range(k):
                    g = math.exp(zws[base + j] - lse)
                    if j == y:
                        g -= one
                    dws[0, i * k + j] = sc * g
            else:
                tsum = zero
                for j in range(k):
                    t = T[row, j]
                    my_cost += t * (lse - zws[base + j])
                    tsum += t
                for j in range(k):
                    g = math.exp(zws[base + j] - lse) * tsum - T[row, j]
                    dws[0, i * k + j] = sc * g
        if count:
            if k == 1:
                out = aws[base] if loss_kind == 0 else zws[base]
                pred = 1 if out > thr else 0
            else:
                pred = 0
                best = aws[base] if loss_kind == 0 else zws[base]
                for j in range(1, k):
                    v = aws[base + j] if loss_kind == 0 else zws[base + j]
                    if v > best:
                        best = v
                        pred = j
            if pred == acc_labels[row]:
                my_hits += 1
    sh_cost = cuda.shared.array(MLP_MAX_THREADS, flat.dtype)
    sh_hits = cuda.shared.array(MLP_MAX_THREADS, int64)
    sh_cost[tid] = my_cost
    sh_hits[tid] = my_hits
    cuda.syncthreads()
    # ---------------- backward and update, last layer first
    cur = 0
    for l in range(L - 1, -1, -1):
        din = sizes[l]
        dout = sizes[l + 1]
        wo = w_off[l]
        bo = b_off[l]
        po = zo - m * din  # the previous layer's z and a (l > 0)
        if l > 0:  # delta^{l-1} = (delta^l W) * act'(z^{l-1}), with the old W
            code = acts[l - 1]
            al = alphas[l - 1]
            for e in range(tid, m * din, NT):
                i = e // din
                q = e - i * din
                g = zero
                for j in range(dout):
                    g += dws[cur, i * dout + j] * flat[wo + j * din + q]
                dws[1 - cur, e] = g * act_df(code, zws[po + e], aws[po + e], al)
            cuda.syncthreads()
        for e in range(tid, dout * din, NT):  # every weight: its gradient, then its update
            j = e // din
            q = e - j * din
            g = zero
            if l == 0:
                for i in range(m):
                    g += dws[cur, i * dout + j] * X[perm[s + i], q]
            else:
                for i in range(m):
                    g += dws[cur, i * dout + j] * aws[po + i * din + q]
            if use_mom:
                g = beta * mflat[wo + e] + damp * g
                mflat[wo + e] = g
            flat[wo + e] = decay * flat[wo + e] - lr * g
        for j in range(tid, dout, NT):
            g = zero
            for i in range(m):
                g += dws[cur, i * dout + j]
            if use_mom:
                g = beta * mflat[bo + j] + damp * g
                mflat[bo + j] = g
            flat[bo + j] -= lr * g
        cuda.syncthreads()
        cur = 1 - cur
        zo = po
    # ---------------- the step's cost and right answers: shared-memory trees
    half = NT // 2
    while half > 0:
        if tid < half:
            sh_cost[tid] += sh_cost[tid + half]
            sh_hits[tid] += sh_hits[tid + half]
        cuda.syncthreads()
        half //= 2
    if tid == 0:
        if first:
            loss_acc[0] = sh_cost[0]
            loss_acc[1] = zero
            hits[0] = sh_hits[0]
        else:
            y = sh_cost[0] - loss_acc[1]
            total = loss_acc[0] + y
            loss_acc[1] = (total - loss_acc[0]) - y
            loss_acc[0] = total
            hits[0] += sh_hits[0]


def _sigs():
    """The signatures the backend launches, for float32 and float64."""
    out = {}
    I = int64  # noqa: E741
    I1 = arrays(int64)[0]
    for F in (float32, float64):
        A1, A2, _, _ = arrays(F)
        out.setdefault("mlp_step", []).append(
            (A2, A2, I1, I1, I, I, A1, A1, I1, I1, I1, I1, A1, I, F, F, F, F, F, F, I)
            + (A1, A1, A2, I1, I, I, A1, I1)
        )
    return out


PTX_SIGNATURES = _sigs()
