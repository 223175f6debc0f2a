#!/bin/sh
# The one command for a lent GPU machine (about 4 minutes on an H100): training throughput of the zoo's
# fit against the hand-written loop for DCGAN at batch 256 and the study's networks at batch 64, in
# float32 without XLA and with XLA (jit_compile) in float32, mixed_float16 and mixed_bfloat16.
#
#   sh benchmarks/gpu_run.sh                 # writes benchmarks/results/throughput_gpu.json
#   sh benchmarks/gpu_run.sh --dry_run       # the same plan for a moment on any device (checks the script)
#
# Extra arguments go to benchmarks/throughput.py. Put the numbers in the README with the GPU's name.
set -e
cd "$(dirname "$0")/.."
out=benchmarks/results/throughput_gpu.json
case " $* " in *" --dry_run "*) out="" ;; esac
exec python benchmarks/throughput.py --configs=dcgan,study,dcgan_gpu,study_gpu --dcgan_batches=256 \
    --study_batch=64 --rounds=3 --seconds_per_round=2 ${out:+--out=$out} "$@"
