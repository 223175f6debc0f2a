"""Give saved weight-averaged generators their standing batch-norm statistics (``zoo.ema``).

    python benchmarks/standing_stats.py runs/x/generators/epoch_*.keras --latent_distribution=uniform

A generator saved from ``GAN(ema_decay=...)`` before ``ema_standing_statistics``
existed carries the live generator's batch-norm statistics. This rewrites each
file (atomically) with the statistics ``fit`` now computes at every epoch's end:
``standing_statistics(generator, batches=32, batch_size=64, seed=0)``, latents
drawn from ``--latent_distribution``, saved as a ``zoo.PretrainedGenerator`` that
records that distribution (what the train CLI saves now). The original is kept as
``<folder>/copied_stats/<name>.keras`` (``--keep_original``, default on), so both can be scored.
"""

import argparse
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402

ORIGINALS = "copied_stats"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help=".keras generator files")
    parser.add_argument("--latent_distribution", choices=("normal", "uniform"), required=True)
    parser.add_argument("--batches", type=positive_int, default=32)
    parser.add_argument("--batch_size", type=positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep_original", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)

    from zoo.ema import standing_statistics
    from zoo.io import save_keras_atomic
    from zoo.pretrained import PretrainedGenerator, load_keras_file

    for path in args.files:
        original = os.path.join(os.path.dirname(os.path.abspath(path)), ORIGINALS, os.path.basename(path))
        if os.path.exists(original):
            print(f"{path}: done before ({original} exists)")
            continue
        sampler = PretrainedGenerator(load_keras_file(path), latent_distribution=args.latent_distribution)
        layers = standing_statistics(sampler.generator, sampler, args.batches, args.batch_size, args.seed)
        if not layers:
            print(f"{path}: no batch norm, unchanged")
            continue
        if args.keep_original:
            os.makedirs(os.path.dirname(original), exist_ok=True)
            shutil.copyfile(path, original + ".tmp")
            os.replace(original + ".tmp", original)
        save_keras_atomic(sampler, path)  # a PretrainedGenerator: the file knows its latent distribution
        print(f"{path}: {layers} batch-norm layers re-estimated" + (f" (original: {original})" if args.keep_original
                                                                    else ""))


if __name__ == "__main__":
    main()
