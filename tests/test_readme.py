"""The README's examples run as written."""

import json
import os
import re
import resource
import select
import subprocess
import sys
import time

import pytest


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_block(heading):
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_model_fit_example_runs_as_written(tmp_path):
    code = _python_block("## Train with `model.fit`")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "runs" / "example"
    assert sorted(os.listdir(out / "samples")) == ["epoch_0001.png", "epoch_0002.png"]
    for name in ("losses.csv", "ckpt.weights.h5", "generator.keras", "gan.keras"):
        assert (out / name).is_file(), name


def test_readme_commands_are_the_ones_ci_runs():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        ci = f.read()
    assert 'pip install -e ".[test]" && python -m recipes.train' in readme
    assert "python -m pytest -q" in readme and "python -m pytest -q" in ci
    assert 'pip install --quiet -e ".[test]"' in ci


def test_metrics_example_runs_as_written(tmp_path):
    code = _python_block("## Measure sample quality")
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2", GANZOO_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "'fid':" in proc.stdout and "'coverage':" in proc.stdout and "'num_real': 2000" in proc.stdout


# --------------------------------------------------------------------------- every block, in order
#
# test_every_readme_block_runs_in_order extracts every ```python and ```bash block of README.md
# and runs them in document order in one temporary directory, as a user would from a fresh clone:
#
# * cwd: an empty temporary directory holding links to the project's source folders (so
#   ``python exports/edge_example.py`` resolves; nothing is copied), PYTHONPATH = the repository,
#   GANZOO_HOME: an empty temporary cache, filled only by the README's own ``recipes.fetch`` steps.
# * a python block runs as a complete script (in a fresh namespace, as __main__, in one Python worker
#   process shared by the python blocks); a bash block as ``bash -e -o pipefail -c BLOCK``; this
#   interpreter's directory comes first on PATH.
# * a block that cannot run here is marked in README.md by an HTML comment on the line right
#   before it, with the reason in parentheses:
#       <!-- readme-test: skip (REASON) -->                 the block is not run
#       <!-- readme-test: without "TEXT" (REASON) -->       the block runs with the literal TEXT removed
# * the only other change the test makes is the length of training and evaluation runs:
#       bash    python -m recipes.train ...: --epochs=N / --steps=N become --steps=2 (appended when
#               neither is given; --list runs as is)
#               python -m recipes.evaluate ...: --num_samples=N becomes --num_samples=100 --num_real=100
#               (appended when not given)
#       python  epochs=N becomes epochs=min(N, 2), steps_per_epoch=2

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARKER = re.compile(r'^<!--\s*readme-test:\s*(?:(?P<skip>skip)|without\s+"(?P<text>.*)")\s+\((?P<reason>[^)].*)\)\s*-->\s*$')
_TRAIN_STEPS = 2
_EVAL_SAMPLES = 100
_SOURCE_DIRS = ("zoo", "layers", "recipes", "exports", "benchmarks", "docs")
# Command arguments up to the end of the command: a comment, &&, ;, | or the end of the line.
_ARGS = r"(?P<args>(?:[^#&;|\n\\]|\\\n|\\.)*)"


def readme_blocks(text):
    """``[{"lang", "code", "line", "heading", "skip", "without", "reason"}]`` for every python/bash block."""
    blocks, heading, lines, i = [], "", text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if "readme-test" in line and not _MARKER.match(line):
            raise AssertionError(f"README.md line {i + 1}: malformed readme-test marker: {line}")
        if _MARKER.match(line) and not (i + 1 < len(lines) and _FENCE.match(lines[i + 1])):
            raise AssertionError(f"README.md line {i + 1}: a readme-test marker must be right before a block")
        fence = _FENCE.match(line)
        if not fence:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        assert end < len(lines), f"README.md line {i + 1}: unclosed code block"
        lang = fence.group(1)
        if lang in ("python", "bash"):
            marker = _MARKER.match(lines[i - 1]) if i else None
            blocks.append(dict(
                lang=lang, code="\n".join(lines[i + 1:end]) + "\n", line=i + 2, heading=heading,
                skip=bool(marker and marker.group("skip")), without=marker.group("text") if marker else None,
                reason=marker.group("reason") if marker else None,
            ))
        i = end + 1
    return blocks


def _shorten_command(code, command, shorten):
    pattern = re.compile(re.escape(command) + _ARGS)
    return pattern.sub(lambda m: command + shorten(m.group("args")), code)


def _train_args(args):
    if re.search(r"(^|\s)--list\b", args):
        return args
    if re.search(r"--(epochs|steps)=\d+", args):
        return re.sub(r"--(epochs|steps)=\d+", f"--steps={_TRAIN_STEPS}", args)
    body = args.rstrip()
    return f"{body} --steps={_TRAIN_STEPS}{args[len(body):]}"


def _evaluate_args(args):
    counts = f"--num_samples={_EVAL_SAMPLES} --num_real={_EVAL_SAMPLES}"
    args = re.sub(r"\s*--num_real=\d+", "", args)
    if re.search(r"--num_samples=\d+", args):
        return re.sub(r"--num_samples=\d+", counts, args)
    body = args.rstrip()
    return f"{body} {counts}{args[len(body):]}"


def shortened(block):
    """The code the test runs for ``block``: the marker's text removed, training and evaluation shortened."""
    code = block["code"]
    if block["without"] is not None:
        assert block["without"] in code, f"README.md line {block['line']}: {block['without']!r} is not in the block"
        code = code.replace(block["without"], "")
    if block["lang"] == "bash":
        code = _shorten_command(code, "python -m recipes.train", _train_args)
        return _shorten_command(code, "python -m recipes.evaluate", _evaluate_args)
    return re.sub(r"(?<![\w.-])epochs=(\d[\d_]*)",
                  lambda m: f"epochs={min(int(m.group(1)), 2)}, steps_per_epoch={_TRAIN_STEPS}", code)


def test_readme_markers_and_shortening():
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = readme_blocks(f.read())
    assert len(blocks) >= 25 and {b["lang"] for b in blocks} == {"python", "bash"}
    skipped = [b for b in blocks if b["skip"]]
    assert 0 < len(skipped) <= 8, [b["line"] for b in skipped]  # keep skipping the exception
    assert all(b["reason"].strip() for b in blocks if b["skip"] or b["without"])
    setup = blocks[0]
    assert setup["without"] and shortened(setup) == f"python -m recipes.train --steps={_TRAIN_STEPS}\n"
    assert _shorten_command("python -m recipes.train --list   # recipes\n", "python -m recipes.train",
                            _train_args) == "python -m recipes.train --list   # recipes\n"
    assert _shorten_command("python -m recipes.train --recipe=x --epochs=5   # long\n", "python -m recipes.train",
                            _train_args) == "python -m recipes.train --recipe=x --steps=2   # long\n"
    assert _shorten_command("python -m recipes.train --recipe=x   # c\n", "python -m recipes.train",
                            _train_args) == "python -m recipes.train --recipe=x --steps=2   # c\n"
    evaluate = "python -m recipes.evaluate --a \\\n    --num_samples=10000   # c\n"
    assert _shorten_command(evaluate, "python -m recipes.evaluate", _evaluate_args) == \
        "python -m recipes.evaluate --a \\\n    --num_samples=100 --num_real=100   # c\n"
    assert _shorten_command("python -m recipes.evaluate --generator=g --num_real=5\n", "python -m recipes.evaluate",
                            _evaluate_args) == "python -m recipes.evaluate --generator=g --num_samples=100 --num_real=100\n"
    python = dict(lang="python", code="gan.fit(x, epochs=50, callbacks=[])\n", without=None)
    assert shortened(python) == "gan.fit(x, epochs=2, steps_per_epoch=2, callbacks=[])\n"


def _timings(timings):
    return "\n".join(f"block {n} (README.md line {line}): {what}" for n, line, what in timings)


def _tail(text, n=4000):
    return text if len(text) <= n else "...\n" + text[-n:]


# The python blocks run one after another in one worker process, each in a fresh namespace as
# __main__ (a block that misses an import still fails); sharing the process saves a TensorFlow
# start-up per block. Results come back as JSON lines on a pipe; the worker's own output goes to a log.
_WORKER = r"""
import json, linecache, os, resource, sys, traceback
results = os.fdopen(int(sys.argv[1]), "w")
def cpu():
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))
for line in sys.stdin:
    code, error, start = json.loads(line), None, cpu()
    linecache.cache["<README block>"] = (len(code), None, code.splitlines(True), "<README block>")
    try:
        exec(compile(code, "<README block>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as e:
        error = None if e.code in (None, 0) else traceback.format_exc()
    except BaseException:
        error = traceback.format_exc()
    sys.stdout.flush()
    sys.stderr.flush()
    results.write(json.dumps({"error": error, "cpu": cpu() - start}) + "\n")
    results.flush()
"""


class _PythonWorker:
    def __init__(self, cwd, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "ab")
        read, write = os.pipe()
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER, str(write)], cwd=cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
                                     pass_fds=(write,), text=True)
        os.close(write)
        self.results = os.fdopen(read)

    def run(self, code, timeout):
        """``(error traceback or None, cpu seconds, the worker's output meanwhile)``."""
        offset = os.path.getsize(self.log_path)
        self.proc.stdin.write(json.dumps(code) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.results], [], [], timeout)
        line = self.results.readline() if ready else ""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            output = f.read().decode(errors="replace")
        if not line:
            self.close()
            return f"the block did not finish within {timeout} s (or the worker died)", 0.0, output
        result = json.loads(line)
        return result["error"], result["cpu"], output

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.results.close()
        self.log.close()


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.slow
def test_every_readme_block_runs_in_order(tmp_path):
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = readme_blocks(f.read())
    work, home = tmp_path / "clone", tmp_path / "ganzoo_home"
    work.mkdir()
    home.mkdir()
    for name in _SOURCE_DIRS:
        if os.path.isdir(os.path.join(ROOT, name)):
            os.symlink(os.path.join(ROOT, name), work / name)
    env = dict(os.environ, PYTHONPATH=ROOT, GANZOO_HOME=str(home), TF_CPP_MIN_LOG_LEVEL="2",
               PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    worker = _PythonWorker(work, env, str(tmp_path / "python_blocks.log"))
    timings = []
    try:
        for number, block in enumerate(blocks, 1):
            where = f"README block {number} ({block['lang']}, README.md line {block['line']}, " \
                    f"under {block['heading']!r})"
            if block["skip"]:
                timings.append((number, block["line"], "skipped: " + block["reason"]))
                continue
            code = shortened(block)
            start = time.monotonic()
            if block["lang"] == "python":
                error, cpu, output = worker.run(code, timeout=600)
            else:
                cpu_before = _children_cpu()
                try:
                    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=work, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                          timeout=600)
                    output = proc.stdout
                    error = f"exit status {proc.returncode}" if proc.returncode else None
                except subprocess.TimeoutExpired as e:
                    output, error = e.output or "", "the block did not finish within 600 s"
                cpu = _children_cpu() - cpu_before
            timings.append((number, block["line"], f"{time.monotonic() - start:.1f} s ({cpu:.1f} s CPU)"))
            if error:
                pytest.fail(f"{where} failed. It ran:\n{code}\n--- error ---\n{error}\n"
                            f"--- output (tail) ---\n{_tail(output)}\n--- blocks so far ---\n{_timings(timings)}")
    finally:
        worker.close()
    print(_timings(timings))
    # The paths the README's prose promises (the default job's run; the exports the serving and edge examples read).
    for path in ("runs/dcgan_mnist/samples/final.png", "runs/dcgan_mnist/generator.keras",
                 "exported/generator/1/saved_model.pb", "exported/generator-v1.onnx", "exported/generator/2",
                 "exported/mnist-v2.onnx", "exported/dcgan_mnist/1/saved_model.pb", "exported/dcgan_mnist-v1.onnx",
                 "samples.png"):
        assert os.path.exists(work / path), f"{path} is not where README.md says it is"
