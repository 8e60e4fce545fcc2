"""Named codes for activations and losses, shared by layers, losses and every backend.

A compiled kernel cannot take a Python callable cheaply, so layers and losses hand their kernels a
small integer saying which function to apply. The integers are defined here, once, as ``IntEnum``
members, so that the layer side reads ``Act.RELU`` rather than ``3`` and no two code spaces can
collide. This module imports nothing but the standard library: the reference backend (plain
NumPy) uses it without loading Numba.

Kernels compare against plain ``int`` constants derived from these enums (``int(Act.RELU)``),
which Numba freezes into the compiled code.
"""

from __future__ import annotations

from enum import IntEnum


class Act(IntEnum):
    """Elementwise activation functions (``nn.activations``)."""

    IDENTITY = 0
    SIGMOID = 1
    TANH = 2
    RELU = 3
    LEAKY_RELU = 4  # also PReLU, whose slope is a parameter
    ELU = 5
    SOFTPLUS = 6
    GELU = 7
    SILU = 8
    STEP = 9  # forward only: its derivative is zero almost everywhere

    @property
    def label(self):
        """The lower-case name used in messages and CLI options (``"leaky_relu"``)."""
        return self.name.lower()


class UnitLoss(IntEnum):
    """Per-unit losses of the layer-by-layer path's elementwise loss kernel."""

    SQUARED = 0  # 1/2 (p - y)^2
    BCE_PROB = 1  # -[y log p + (1 - y) log(1 - p)], p a probability
    BCE_LOGITS = 2  # the same with p = sigma(z), computed stably from the logit z


class FusedLoss(IntEnum):
    """Output costs of the fused dense-epoch kernel (``kernels.cpu.mlp``)."""

    SQUARED = 0  # 1/2 ||a - y||^2 on a = act(z), times the loss's cost scale
    SOFTMAX_XENT_LABELS = 1  # -log softmax(z)_y from logits, integer labels
    SIGMOID_XENT = 2  # sum_j softplus(z_j) - y_j z_j, per output unit, from logits
    SOFTMAX_XENT_PROBS = 3  # -sum_j y_j log softmax(z)_j from logits, probability targets
