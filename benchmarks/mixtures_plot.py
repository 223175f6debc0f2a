"""Scatter plots of 2D mixture runs: the generated points over the mixture's modes.

    python benchmarks/mixtures_plot.py RUN.json [RUN.json ...] [--out=mixtures.png] [--size=320]

Each run JSON is one written by ``benchmarks/mixtures.py`` (it keeps 500 final samples in
``final_points``). One panel per run, side by side, each titled with its config, mixture, seed and
scores; the modes are drawn as red circles of 3 standard deviations (the high-quality radius), the
points in black. ``--real`` adds a first panel of 500 real samples of the first run's mixture.
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from benchmarks._args import positive_int  # noqa: E402

TITLE_HEIGHT = 28


def panel(points, mixture, title, size):
    """One scatter panel (a PIL image): modes as red circles of 3 std, points as black dots."""
    from PIL import Image, ImageDraw

    from zoo.mixtures import get_mixture

    means, std = get_mixture(mixture)
    half = float(np.abs(means).max()) * 1.25 + 0.25  # the view: every mode with a margin
    scale = size / (2 * half)

    def pixel(x, y):
        return (x + half) * scale, (half - y) * scale + TITLE_HEIGHT

    image = Image.new("RGB", (size, size + TITLE_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    for x, y in means:
        cx, cy = pixel(x, y)
        r = max(3 * std * scale, 2.0)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(220, 30, 30), width=2)
    for x, y in np.asarray(points, dtype=float):
        px, py = pixel(x, y)
        if 0 <= px < size and TITLE_HEIGHT <= py < size + TITLE_HEIGHT:
            draw.rectangle((px - 1, py - 1, px + 1, py + 1), fill=(0, 0, 0))
    lines = title.split("\n")
    for i, line in enumerate(lines[:2]):
        draw.text((4, 2 + 13 * i), line, fill=(0, 0, 0))
    draw.rectangle((0, TITLE_HEIGHT, size - 1, size + TITLE_HEIGHT - 1), outline=(160, 160, 160))
    return image


def run_title(run):
    return (f"{run['config']} {run['mixture']} seed {run['seed']}\n"
            f"{run['modes']}/{run['num_modes']} modes, {100 * run['high_quality']:.1f}% HQ, "
            f"rev KL {run['reverse_kl']:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run JSONs written by benchmarks/mixtures.py")
    parser.add_argument("--out", default="mixtures.png")
    parser.add_argument("--size", type=positive_int, default=320, help="panel width in pixels")
    parser.add_argument("--real", action="store_true", help="a first panel of real samples")
    args = parser.parse_args(argv)
    runs = []
    for path in args.runs:
        try:
            with open(path) as f:
                run = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise SystemExit(f"mixtures_plot: cannot read {path}: {e}") from None
        if "final_points" not in run:
            raise SystemExit(f"mixtures_plot: {path} has no final_points (a Stacked-MNIST run, or written "
                             "before benchmarks/mixtures.py kept them): rerun that run to plot it.")
        runs.append(run)
    from PIL import Image

    from zoo.images import save_png
    from zoo.mixtures import sample

    panels = []
    if args.real:
        mixture = runs[0]["mixture"]
        panels.append(panel(sample(mixture, 500, seed=0), mixture, f"real {mixture}\n500 samples", args.size))
    panels += [panel(run["final_points"], run["mixture"], run_title(run), args.size) for run in runs]
    sheet = Image.new("RGB", (sum(p.width for p in panels), panels[0].height), "white")
    x = 0
    for p in panels:
        sheet.paste(p, (x, 0))
        x += p.width
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_png(np.asarray(sheet), args.out)
    print(f"wrote {args.out} ({len(panels)} panels)")


if __name__ == "__main__":
    main()
