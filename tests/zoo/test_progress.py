"""zoo.progress: Keras's bar on a terminal, a few plain lines elsewhere, nothing when quiet."""

import contextlib
import io
import sys

import pytest

from zoo.errors import ConfigError
from zoo.progress import BAR, LINES, QUIET, Progress, resolve_verbose


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@contextlib.contextmanager
def terminal():
    """stdout as a terminal. Replaced inside the test itself: pytest's capture reinstalls its own
    sys.stdout after fixtures are set up."""
    out, saved = FakeTerminal(), sys.stdout
    sys.stdout = out
    try:
        yield out
    finally:
        sys.stdout = saved


def run_job(total=1000, step=1, **kwargs):
    with Progress(total, "Features (test)", unit="image", **kwargs) as progress:
        for _ in range(0, total, step):
            progress.advance(step)


def test_quiet_prints_nothing(capsys):
    for verbose in (0, False):
        run_job(verbose=verbose)
        progress = Progress(3, "Steps", verbose=verbose)
        progress.print("a message")
        progress.close()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("verbose", ["auto", 1, 2, True])
def test_output_that_is_not_a_terminal_gets_a_few_plain_lines(capsys, verbose):
    run_job(verbose=verbose, interval=0)  # no time limit between lines: only the tenths bound them
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert 3 <= len(lines) <= 12, lines  # the start, at most one per tenth, the end
    assert lines[0] == "Features (test): 1000 images"
    assert lines[-1].startswith("Features (test): 1000/1000 (100%)") and "images/s" in lines[-1]
    assert any("500/1000 (50%)" in line and "ETA" in line for line in lines)


def test_a_fast_job_prints_its_start_and_its_end_only(capsys):
    run_job(verbose=2)  # the default interval: no line between the first and the last within 10 s
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Features (test): 1000/1000 (100%)")


def test_a_terminal_gets_keras_live_bar():
    with terminal() as screen:
        run_job(total=100, step=10)
        out = screen.getvalue()
        with Progress(2, "Exporting", verbose=2) as progress:  # 2 means plain lines even on a terminal
            progress.advance(2)
    assert out.startswith("Features (test)\n")
    assert "\r" in out and "━" in out and "images/s" in out and "100/100" in out
    assert out.endswith("\n")
    assert "\r" not in screen.getvalue()[len(out):]


def test_notes_and_messages(capsys):
    with Progress(3, "Exporting g", verbose="auto", interval=0) as progress:
        progress.advance(0, note="writing the SavedModel")
        progress.advance(1, note="converting to ONNX")
        progress.print("ONNX: ok")
        progress.advance(2)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Exporting g: 3 steps", lines[1], lines[2], "ONNX: ok", lines[4]]
    assert lines[1].startswith("Exporting g: 0/3 (0%)") and lines[1].endswith(" - writing the SavedModel")
    assert lines[2].startswith("Exporting g: 1/3 (33%)") and lines[2].endswith(" - converting to ONNX")
    assert lines[4].startswith("Exporting g: 3/3 (100%)") and "ONNX" not in lines[4]


def test_a_message_during_a_live_bar_gets_its_own_line():
    with terminal() as screen, Progress(2, "Steps") as progress:
        progress.advance(1)
        progress.print("halfway")
        progress.advance(1)
    assert "\rhalfway\n" in screen.getvalue().replace(" ", "")


def test_a_job_cut_short_ends_its_bar_line():
    with terminal() as screen, pytest.raises(RuntimeError):
        with Progress(10, "Steps") as progress:
            progress.advance(3)
            raise RuntimeError("boom")
    assert screen.getvalue().endswith("\n") and "10/10" not in screen.getvalue()


def test_an_unknown_total_ends_when_closed(capsys):
    with Progress(None, "Items", verbose=2) as progress:
        progress.advance(4)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Items: started" and lines[-1].startswith("Items: 4/4 (100%)")


def test_verbose_values():
    assert resolve_verbose("auto") == resolve_verbose(1) == LINES  # pytest's stdout is no terminal
    with terminal():
        assert resolve_verbose("auto") == resolve_verbose(1) == resolve_verbose(True) == BAR
    assert resolve_verbose(2) == LINES and resolve_verbose(0) == resolve_verbose(False) == QUIET
    for bad in ("yes", 3, -1, 1.0, None):
        with pytest.raises(ConfigError, match='verbose must be "auto", 0, 1, 2 or a bool'):
            resolve_verbose(bad)
