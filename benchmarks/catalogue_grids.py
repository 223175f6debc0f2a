"""A sample grid and a model card for every catalogue entry: ``docs/catalogue/<name>.png`` and ``.md``.

    python benchmarks/catalogue_grids.py [--n=64] [--seed=0] [--scale=2]

Each grid is what ``zoo.load(name)`` draws from the seed (conditional generators:
one row per class; InfoGAN: one row per categorical code value), upscaled by
``--scale`` (nearest neighbour, ``zoo.images.save_grid``) so 28x28 samples stay legible.
Each card is ``zoo.model_card.model_card`` of the entry, showing that grid; a test
checks that the committed cards match the catalogue.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks._args import positive_int  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=positive_int, default=2)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "catalogue"))
    parser.add_argument("--names", default=None, help="comma-separated entries (default: all)")
    args = parser.parse_args(argv)

    import zoo
    from zoo.images import save_grid
    from zoo.io import write_atomic
    from zoo.model_card import model_card

    names = args.names.split(",") if args.names else zoo.list_pretrained()
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        generator = zoo.load(name)
        feed, cols = generator.grid_feed(args.n, seed=args.seed)
        path = os.path.join(args.out, f"{name}.png")
        save_grid(generator.generate(**feed), path, cols=cols, scale=args.scale)
        card = os.path.join(args.out, f"{name}.md")
        write_atomic(card, model_card(generator.entry, samples=f"{name}.png", latent_dim=generator.latent_dim).encode())
        print(f"{name}: {path}, {card}")


if __name__ == "__main__":
    main()
