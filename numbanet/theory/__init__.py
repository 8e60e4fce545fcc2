"""The math behind the slides, with no plotting.

Submodules (imported on first use, so ``import numbanet.theory`` stays cheap):

``regions``
    Linear regions of ReLU networks: exact integer formulas (parameter counts, Zaslavsky,
    (D + 1)^K, UDL eq. 4.17, Montufar et al. 2014, Serra et al. 2018) and exact counting of the
    regions of a real network along a segment (``count_1d``), in a 2-D box (``count_2d``) and by
    activation patterns on samples (``count_patterns``).
``noise_ball``
    The SGD noise ball: the slide's bound, the exact stationary E||W - w*||^2 of SGD on a
    quadratic and on least squares, and a Monte-Carlo simulator.
``init_variance``
    E[z^2] forward and the gradient's variance backward through deep nets, by the slide's
    recursion (Gauss-Hermite for smooth activations) and measured on sampled networks.
``gradient_speed``
    Nielsen's per-layer speed of learning through the engine's backward pass.
``backprop``
    Deck 001's worked backpropagation example for any dense net: z, a, delta and gradients layer
    by layer, BP1-BP4 checked against the engine and finite differences.
``compose``
    A composition of two nets merged into one (psi = theta phi, rank 1), and a deep ReLU net equal
    to a shallow one (extra layers computing the identity).
``sharpness``
    The top eigenvalue of a loss's Hessian (Keskar et al.'s sharpness) by power iteration on
    Hessian-vector products from finite differences of the engine's gradients.
"""

from __future__ import annotations

import importlib

_SUBMODULES = (
    "regions",
    "noise_ball",
    "init_variance",
    "gradient_speed",
    "backprop",
    "compose",
    "sharpness",
)

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
