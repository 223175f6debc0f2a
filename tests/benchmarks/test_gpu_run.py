"""The GPU script's plan runs end to end on CPU in dry-run mode (the speed is not checked)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import throughput  # noqa: E402


def test_a_dry_run_plans_the_gpu_configurations_without_a_gpu():
    args = throughput.parse_args(["--dry_run", "--configs=dcgan,study,dcgan_gpu,study_gpu", "--dcgan_batches=256"])
    names = [c["name"] for c in throughput.plan_configs(args, gpu=True)]
    assert names == ["dcgan_b256", "study_b64"] + [f"{m}_gpu_{p}_jit_b{b}" for m, b in (("dcgan", 256), ("study", 64))
                                                   for p in throughput.GPU_PRECISIONS]
    assert args.rounds == 1 and args.out.startswith("/") and "results" not in args.out  # never the real results
    assert not [c for c in throughput.plan_configs(throughput.parse_args(["--configs=study_gpu"]), gpu=False)]
    bf16 = throughput.plan_configs(throughput.parse_args(["--configs=study,study_bf16"]), gpu=False)
    assert [(c["name"], c["precision"]) for c in bf16] == [("study_b64", "float32"), ("study_bf16_b64", "mixed_bfloat16")]


@pytest.mark.slow
def test_the_gpu_script_runs_its_study_step_in_a_dry_run(tmp_path):
    out = tmp_path / "throughput.json"
    proc = subprocess.run(["sh", os.path.join(ROOT, "benchmarks", "gpu_run.sh"), "--dry_run", "--configs=study_gpu",
                           "--study_batch=8", f"--out={out}"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["dry_run"] is True
    machine = result["machine"]  # which machine a speed figure describes
    assert machine["cpu"] and machine["cores"] >= 1 and isinstance(machine["vector_extensions"], list)
    assert len(machine["loadavg"]) == 3
    runs = result["configurations"]
    assert sorted(runs) == [f"study_gpu_{p}_jit_b8" for p in sorted(throughput.GPU_PRECISIONS)]
    import zoo
    from _flops import gan_step_flops

    flops = gan_step_flops(zoo.StudyGAN(image_shape=(28, 28, 1), latent_dim=64, seed=0), 8) / 1e9
    for record in runs.values():
        assert record["jit"] is True and record["ratio_fit_over_hand"] > 0
        fit = record["contenders"]["fit"]
        assert fit["gflop_per_step"] == pytest.approx(flops)  # the worker counts the networks it trains
        assert record["achieved_gflops"] == pytest.approx(flops * fit["median_steady_state_images_per_second"] / 8)
        assert len(record["matmul_gflops"]) == 1 and record["matmul_gflops"][0] > 0
        assert record["fraction_of_matmul_rate"] == pytest.approx(
            record["achieved_gflops"] / record["matmul_gflops"][0])
