"""Moved: ``Callback`` and ``History`` live in ``numbanet.callbacks`` with every callback.

This alias keeps ``from numbanet.nn.history import Callback`` working for the modules not yet
switched (``checkpoint.py``, ``experiments/``); remove it once nothing imports it.
"""

from __future__ import annotations

from ..callbacks import Callback, History

__all__ = ["Callback", "History"]
