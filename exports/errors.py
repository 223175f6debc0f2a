"""Errors raised by the exporters.

All of them subclass ``zoo.errors.ConfigError`` (and so ``ValueError``): the CLI
prints their message on one line and exits with status 2.
"""

from zoo.errors import ConfigError


class ExportError(ConfigError):
    """An export request that cannot be carried out; the message says how to fix it."""


class UnsafeGraphError(ExportError):
    """The exported graph holds ops that bind to Python or draw random numbers."""


class ParityError(ExportError):
    """An exported artifact does not reproduce the Keras generator within tolerance."""
