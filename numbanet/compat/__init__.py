"""Other interfaces on numbanet's engine.

``numbanet.compat.nielsen``
    The calls of Michael Nielsen's *Neural Networks and Deep Learning* (``network``,
    ``network2``, ``mnist_loader``), in Python 3, running on numbanet's kernels.
"""

__all__ = ["nielsen"]
