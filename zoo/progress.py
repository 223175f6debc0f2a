"""Progress of long jobs, shown the way Keras shows ``fit`` and ``predict``.

    >>> from zoo.progress import Progress
    >>> with Progress(len(images), "Features", unit="image", verbose="auto") as progress:
    ...     for batch in batches:
    ...         run(batch)
    ...         progress.advance(len(batch))

``verbose`` follows Keras's convention (``Model.predict(verbose="auto")``), and
every zoo function that does long work takes it with the same default (the
functions on feature arrays, ``kid_from_features`` and ``prdc``, default to 0
like Keras's ops; ``evaluate`` passes its own value down):

* ``"auto"`` (the default) or ``1`` / ``True``: progress is shown. On an
  interactive terminal (stdout is a tty, or a Jupyter kernel) it is Keras's own
  live bar (``keras.utils.Progbar``: count, bar, ETA, then images/s or time per
  step); anywhere else (a log file, a pipe, CI) it is a few plain lines instead,
  because a live bar there is a stream of carriage returns.
* ``2``: always plain lines (Keras's "one line per epoch" setting).
* ``0`` / ``False``: nothing at all.

Plain lines: one when the job starts, then at most one per tenth of the job
(and only when ``interval`` seconds have passed since the previous line), one
at the first update ``heartbeat`` seconds after the previous line (a first tenth
that takes minutes still shows life; there is no timer, so one long step shows
nothing until it ends), and one when it ends. A job of a few named
steps (``advance(note=...)``) gets a line when its note changes instead of per
tenth. Lines go to stdout, like Keras's, and never hold a carriage return.

The command-line tools turn this off with ``--quiet`` (``recipes.evaluate``,
``recipes.fetch``, ``python -m exports``); ``benchmarks/study.py`` passes its
``--verbose`` through.
"""

import math
import numbers
import sys
import time

from zoo.errors import ConfigError

QUIET, BAR, LINES = 0, 1, 2


def interactive():
    """Whether stdout can show a live bar: a terminal or a Jupyter kernel, and Keras logs to stdout."""
    try:
        tty = bool(sys.stdout.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        tty = False
    if not (tty or "ipykernel" in sys.modules):
        return False
    import keras

    return keras.config.is_interactive_logging_enabled()  # off: Keras's own bars go to absl logging


def resolve_verbose(verbose):
    """``QUIET`` (0), ``BAR`` (1) or ``LINES`` (2) for a ``verbose`` argument (see the module docstring)."""
    if isinstance(verbose, str) and verbose == "auto":
        level = BAR
    elif isinstance(verbose, numbers.Integral) and int(verbose) in (QUIET, BAR, LINES):  # bools too
        level = int(verbose)
    else:
        raise ConfigError(f'verbose must be "auto", 0, 1, 2 or a bool; got {verbose!r}.')
    if level == BAR and not interactive():
        return LINES
    return level


def _duration(seconds):
    """Keras's ETA format: ``42s``, ``3:05``, ``1:02:03``."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds >= 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return f"{seconds}s"


def _rate(per_second, unit):
    digits = 0 if per_second >= 100 else 1 if per_second >= 10 else 2
    return f"{per_second:.{digits}f} {unit}s/s"


def _bar_class():
    import keras

    class _Bar(keras.utils.Progbar):
        """Keras's bar; the part after the ETA shows a throughput (images/s) and the current note."""

        owner = None

        def _format_time(self, time_per_unit, unit_name):
            owner = self.owner
            if owner.rate:
                text = f" {_rate(1.0 / time_per_unit, unit_name)}" if time_per_unit > 0 else ""
            else:
                text = super()._format_time(time_per_unit, unit_name)
            return text + (f" - {owner.note}" if owner.note else "")

    return _Bar


class Progress:
    """Progress of one job of ``total`` units (see the module docstring).

    Args:
        total: the number of units (``None`` if unknown).
        label: what the job is; printed above the bar, or at the start of each plain line.
        unit: the unit's name ("image", "step", ...); "image" jobs show images/s.
        verbose: "auto", 0, 1, 2 or a bool (Keras's convention; see the module docstring).
        rate: show a throughput (units/s) rather than the time per unit; default: unless
            the unit is "step".
        interval: the shortest time between two plain lines, except the first and the last.
            Jobs of a few slow steps pass 0: a line per step.
        heartbeat: the longest time without a plain line while the job runs.

    ``advance(n, note)`` counts ``n`` finished units; ``note`` says what runs now
    (shown after the bar, or at the end of the line). ``print(message)`` prints a
    line without breaking the bar. ``close()`` (or leaving a ``with`` block) ends
    the display; a job cut short by an error leaves its last state on screen.
    """

    def __init__(self, total, label, unit="step", verbose="auto", rate=None, interval=10.0, heartbeat=60.0):
        self.mode = resolve_verbose(verbose)
        self.total = None if total is None else int(total)
        self.label, self.unit = label, unit
        self.rate = unit != "step" if rate is None else bool(rate)
        self.interval, self.heartbeat = float(interval), float(heartbeat)
        self.done, self.note, self.finished = 0, None, False
        self._start = self._last_line = time.monotonic()
        self._tenth = 0
        self._bar = None
        if self.mode == BAR:
            _print(label)
            self._bar = _bar_class()(self.total, verbose=1, unit_name=unit)
            self._bar.owner = self
            self._bar.update(0)
        elif self.mode == LINES:
            what = f"{self.total} {unit}{'' if self.total == 1 else 's'}" if self.total is not None else "started"
            _print(f"{label}: {what}")

    @property
    def verbose(self):
        """Whether anything is shown."""
        return self.mode != QUIET

    def advance(self, n=1, note=None):
        """Counts ``n`` more finished units; ``note`` (if given) says what runs now."""
        if self.finished:
            return
        self.done += int(n)
        changed = note is not None and note != self.note
        if note is not None:
            self.note = note
        self.finished = self.total is not None and self.done >= self.total
        if self.finished and not changed:
            self.note = None  # the last step's note is stale once everything is done
        if self.mode == BAR:
            self._bar.update(min(self.done, self.total) if self.total is not None else self.done,
                             finalize=self.finished)
        elif self.mode == LINES:
            now = time.monotonic()
            tenth = math.floor(10 * self.done / self.total) if self.total else 0
            since = now - self._last_line
            # A job with notes (a few named steps) gets a line when its note changes; others per tenth.
            if (self.finished or since >= self.heartbeat
                    or (since >= self.interval and (changed or (tenth > self._tenth and self.note is None)))):
                _print(self._line(now))
                self._last_line, self._tenth = now, tenth

    def _line(self, now):
        elapsed = now - self._start
        if self.total is not None:
            parts = [f"{self.label}: {self.done}/{self.total} ({100 * self.done // max(self.total, 1)}%)"]
        else:
            parts = [f"{self.label}: {self.done}"]
        parts.append(_duration(elapsed))
        if self.rate and self.done and elapsed > 0:
            parts.append(_rate(self.done / elapsed, self.unit))
            if not self.finished and self.total:
                parts.append("ETA " + _duration(elapsed * (self.total - self.done) / self.done))
        if self.note:
            parts.append(self.note)
        return " - ".join(parts)

    def print(self, message):
        """Prints ``message`` on its own line (when anything is shown), the bar redrawn below it."""
        if self.mode == QUIET:
            return
        if self._bar is not None and not self.finished:
            width = getattr(self._bar, "_prev_total_width", 0)
            sys.stdout.write("\r" + " " * width + "\r")
            _print(message)
            self._bar._prev_total_width = 0  # the line is empty: nothing to rub out
            self._bar._last_update = 0  # redraw now
            self._bar.update(min(self.done, self.total) if self.total is not None else self.done)
        else:
            _print(message)

    def close(self):
        """Ends the display. A job of unknown length ends here; one cut short (an error) keeps its last
        state on screen, and what is printed next starts on a line of its own."""
        if self.finished:
            return
        if self.total is None:  # its end is now
            self.total = self.done
            self.advance(0)
        elif self._bar is not None:
            sys.stdout.write("\n")
            sys.stdout.flush()
        self.finished = True

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.close()
        return False


def _print(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
