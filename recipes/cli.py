"""What the command-line tools share; imports nothing heavy (no TensorFlow, no zoo).

TensorFlow writes C++ start-up lines to file descriptor 2 when it loads and when
it first touches a device ("All log messages before absl::InitializeLog() ...",
cuInit failures, CPU feature notes); ``TF_CPP_MIN_LOG_LEVEL`` does not silence
them. A CLI holds fd 2 while TensorFlow starts and the inputs are checked
(``HeldStderr``): bad input then prints exactly one ``error:`` line, and
anything unexpected replays everything that was held before its traceback.
"""

import importlib
import os
import sys
import tempfile


def fail(message):
    """One ``error:`` line on stderr and exit status 2 (what every CLI does with bad input)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def no_arguments(argv, example):
    """Fails (one ``error:`` line) when ``argv`` holds positional arguments: options are flags."""
    if len(argv) > 1:
        fail(f"Unexpected arguments {argv[1:]}: options are flags, e.g. {example}.")


def lazy_names(package, names):
    """``(__getattr__, __dir__)`` for a package whose public names (``{name: module}``) import their module on
    first use, so that importing the package (e.g. for its CLI's ``--help``) does not import TensorFlow."""

    def getattr_(name):
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            sys.modules[package].__dict__[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_():
        return sorted(set(sys.modules[package].__dict__) | set(names))

    return getattr_, dir_


def flags_parser(module):
    """An absl ``flags_parser`` for ``app.run`` that turns a flag error into one ``error:`` line (exit 2)
    instead of absl's "FATAL Flags parsing error" and usage text."""

    def parse(argv):
        from absl import flags

        try:
            return flags.FLAGS(argv)
        except flags.Error as e:
            fail(f"{e}. Run python -m {module} --help to see the flags.")

    return parse


class HeldStderr:
    """Holds what is written to file descriptor 2 until ``release()`` or ``drop()``.

    ``release()`` writes the held bytes back to stderr (nothing is lost);
    ``drop()`` discards them (for an expected error, reported on one line
    afterwards). Both restore fd 2 and are no-ops once it is restored. As a
    context manager: held on entry; on exit released if an exception escapes (its
    traceback follows what TensorFlow wrote), and on a normal exit released, or
    dropped with ``keep_on_success=False`` (a CLI whose success output should be
    only its own).
    """

    def __init__(self, keep_on_success=True):
        self.keep_on_success = keep_on_success
        self._saved = None
        self._file = None

    def start(self):
        if self._saved is None:
            sys.stderr.flush()
            self._file = tempfile.TemporaryFile()
            self._saved = os.dup(2)
            os.dup2(self._file.fileno(), 2)
        return self

    def _restore(self, replay):
        if self._saved is None:
            return
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._saved = None
        if replay:
            self._file.seek(0)
            data = self._file.read()
            if data:
                os.write(2, data)
        self._file.close()

    def release(self):
        self._restore(replay=True)

    def drop(self):
        self._restore(replay=False)

    def __enter__(self):
        return self.start()

    def __exit__(self, kind, value, tb):
        self.release() if kind is not None or self.keep_on_success else self.drop()
        return False
