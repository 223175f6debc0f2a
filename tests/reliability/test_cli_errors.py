"""The CLIs on bad input: a non-zero exit status, the message on one ``error:`` line of stderr that names
the argument, and no Python traceback.

Each case is a real subprocess; they are started together (one module fixture) so the
TensorFlow imports overlap, and the table rows only read the results.
"""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _cases(tmp):
    blocker = os.path.join(tmp, "a_file")
    return {
        "train-unknown-recipe": (["recipes.train", "--recipe=nope", f"--workdir={tmp}/w1"], 2,
                                 r"^error: Unknown recipe 'nope'\. Known: .*dcgan_mnist"),
        "train-unwritable-workdir": (["recipes.train", f"--workdir={blocker}/run", "--steps=1"], 2,
                                     r"^error: The workdir '.*a_file/run' cannot be written \(Not a directory\)\. "
                                     r"Pass --workdir= a directory you can write to\.$"),
        "exports-bad-version": (["exports", "--generator=x.keras", f"--out={tmp}/o1", "--version=abc"], 2,
                                r"^error: --version must be an integer; got 'abc'\.$"),
        "exports-unknown-format": (["exports", f"--generator={tmp}/missing.keras", f"--out={tmp}/o2",
                                    "--formats=onnx,caffe"], 2,
                                   r"^error: Unknown export format\(s\) 'caffe': valid formats are saved_model, "
                                   r"onnx, litert\.$"),
        "evaluate-unknown-metric": (["recipes.evaluate", "--generator=dcgan_mnist", "--metrics=fid,foo",
                                     f"--out={tmp}/e.json"], 2,
                                    r"^error: Unknown metric 'foo'\. Known: fid, is, kid, pr, stacked_modes\.$"),
        "fetch-unknown-dataset": (["recipes.fetch", "nope", f"--cache_dir={tmp}/cache"], 1,
                                  r"^Unknown dataset\(s\) \['nope'\]; fetchable: mnist, fashion_mnist, fid_inception\.$"),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("cli"))
    with open(os.path.join(tmp, "a_file"), "w") as f:
        f.write("not a directory")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    cases = _cases(tmp)
    procs = {name: subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name, (args, _, _) in cases.items()}
    out = {}
    try:
        for name, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=240)
            out[name] = (proc.returncode, stdout, stderr)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {name: (cases[name], out[name]) for name in cases}, tmp


# TensorFlow's C++ start-up lines (absl logging before InitializeLog) that no env var silences.
_TF_NOISE = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|[IWE]\d{4} |To enable the "
                       r"following instructions)")


@pytest.mark.parametrize("name", list(_cases("/tmp")))
def test_cli_rejects_bad_input_with_one_clear_line(results, name):
    cases, tmp = results
    (args, status, message), (code, stdout, stderr) = cases[name]
    assert code == status, (code, stderr[-2000:])
    assert "Traceback" not in stderr + stdout, stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.strip() and not _TF_NOISE.match(line)]
    assert len(lines) == 1, f"one line besides TensorFlow's start-up lines; got {lines}"
    assert re.search(message, lines[0]), lines[0]
    assert stderr.rstrip("\n").splitlines()[-1] == lines[0], "the message is the last thing printed"
    assert not os.path.exists(os.path.join(tmp, "o1")) and not os.path.exists(os.path.join(tmp, "o2"))
    assert not os.path.exists(os.path.join(tmp, "e.json"))


@pytest.mark.parametrize("name", [
    "exports-bad-version", "exports-unknown-format",
    "train-unknown-recipe", "evaluate-unknown-metric", "fetch-unknown-dataset",
])
def test_stderr_holds_only_the_error_line(results, name):
    cases, _ = results
    _, (code, _, stderr) = cases[name]
    assert code != 0 and stderr.count("\n") == 1, stderr[-3000:]
