"""Errors the zoo raises for bad input.

Every error says what was wrong and how to fix it. They subclass ``ValueError``
so that code written against plain Keras (``except ValueError``) still catches them.
"""


class ZooError(ValueError):
    """Base class of every input error raised by the zoo."""


class ConfigError(ZooError):
    """An unknown name, an unknown config key or a value of the wrong type."""


class DataError(ZooError):
    """Training or evaluation data that does not fit the model or is malformed."""


class DatasetUnavailableError(ZooError):
    """A named dataset exists but cannot be had on this machine (yet)."""


def did_you_mean(name, choices):
    """A short ' Known: a, b, c.' suffix for error messages."""
    choices = sorted(choices)
    return f" Known: {', '.join(choices)}." if choices else ""
