"""The exceptions numbanet raises.

Every error a user can trigger is one of these, with a message that names the argument, says what
was received and what is expected. They subclass the built-in exception a Python user would expect
(``ValueError`` for bad values, ``TypeError`` for bad types, ``RuntimeError`` for environment
problems), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class NumbanetError(Exception):
    """Base class of every numbanet error."""


class ValidationError(NumbanetError, ValueError):
    """An argument has the wrong shape, range, or value."""


class DTypeError(NumbanetError, TypeError):
    """An argument has the wrong type or dtype."""


class BackendUnavailableError(NumbanetError, RuntimeError):
    """The requested backend cannot run on this machine (e.g. ``cuda`` without a GPU)."""


class DataError(NumbanetError, OSError):
    """A data set is missing, truncated, corrupt, or failed its checksum."""


class CheckpointError(NumbanetError, ValueError):
    """A checkpoint file is truncated, corrupt, from another format version, or does not match the model."""


class DivergenceError(NumbanetError, FloatingPointError):
    """Training produced a NaN or infinite loss; the last good weights were kept."""


__all__ = [
    "NumbanetError",
    "ValidationError",
    "DTypeError",
    "BackendUnavailableError",
    "DataError",
    "CheckpointError",
    "DivergenceError",
]
