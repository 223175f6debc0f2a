"""Model cards: a catalogue entry or preset described in Markdown, with a Hugging Face metadata header.

    >>> print(model_card(zoo.describe("dcgan_mnist"), samples="samples.png", latent_dim=100))

``zoo.save_preset``/``zoo.write_preset`` put one in every preset folder (``README.md``);
``benchmarks/catalogue_grids.py`` writes one per catalogue entry to ``docs/catalogue/``.
"""

import json

# Hugging Face dataset ids of the data sets the catalogue trains on.
HF_DATASETS = {"mnist": "mnist", "mnist_embedded": "mnist", "fashion_mnist": "fashion_mnist"}
# Metrics that go into the card's model-index (their display names); the protocol is in the *_note keys.
INDEXED = {"fid_inception": "FID", "kid_inception": "KID", "precision": "precision", "recall": "recall",
           "mean_accuracy": "mean per-class accuracy"}


def _yaml(value):
    return json.dumps(value)  # a JSON string is a valid YAML scalar


def _data_key(entry):
    return entry.dataset.split()[0] if entry.dataset else ""


def _header(entry):
    lines = ["---", "library_name: keras", "license: apache-2.0", "tags:"]
    conditional = entry.variant in ("cgan", "acgan")
    tags = ["keras", "gan", "keras-gan-zoo", entry.variant.lower(),
            "class-conditional-image-generation" if conditional else "unconditional-image-generation"]
    lines += [f"- {_yaml(t)}" for t in dict.fromkeys(tags)]
    dataset = HF_DATASETS.get(_data_key(entry))
    if dataset:
        lines += ["datasets:", f"- {dataset}"]
    lines.append("pipeline_tag: unconditional-image-generation")
    results = [(key, label) for key, label in INDEXED.items() if isinstance(entry.metrics.get(key), (int, float))]
    if results and dataset:
        lines += ["model-index:", f"- name: {_yaml(entry.name)}", "  results:", "  - task:",
                  "      type: unconditional-image-generation", "    dataset:", f"      name: {dataset}",
                  f"      type: {dataset}", "    metrics:"]
        for key, label in results:
            lines += [f"    - type: {_yaml(key)}", f"      name: {_yaml(label)}", f"      value: {entry.metrics[key]}"]
    return lines + ["---", ""]


def _usage(entry, use):
    lines = ["```python", "import zoo", f"g = zoo.load({use!r})  # a keras.Model (a catalogue name or a preset folder)"]
    if entry.variant in ("cgan", "acgan"):
        lines.append("images = g.generate(16, labels=7, seed=0)  # sixteen 7s, in [-1, 1]")
    elif entry.variant == "infogan":
        lines.append("images = g.generate(16, categorical=3, seed=0)  # one categorical code value")
    else:
        lines.append(f"images = g.generate(16, seed=0)  # (16, {', '.join(map(str, entry.image_shape))}) in [-1, 1]")
    lines.append("```")
    if entry.discriminator_file and entry.class_name:
        cls = entry.class_name.split(">")[-1]
        lines += ["", "The discriminator ships too, so the GAN can be fine-tuned:", "", "```python",
                  f"gan = zoo.{cls}.from_preset({use!r})", "gan.compile()", "gan.fit(images, epochs=1)  "
                  "# your images in [-1, 1], shape (n, " + ", ".join(map(str, entry.image_shape)) + ")", "```"]
    return lines


def model_card(entry, samples=None, latent_dim=None, use=None):
    """The Markdown model card of ``entry`` (a ``PretrainedEntry``).

    Args:
        entry: the catalogue entry or a preset's entry.
        samples: a relative image path shown at the top (``None``: no image).
        latent_dim: the size of ``z``, when known.
        use: what ``zoo.load`` is given in the usage example (default: the entry's name).
    """
    use = use or entry.name
    lines = _header(entry) + [f"# {entry.name}", ""]
    if samples:
        lines += [f"![64 samples, seed 0]({samples})", ""]
    latent = (f"{latent_dim}-d " if latent_dim else "") + ("U(-1, 1)" if entry.latent_distribution == "uniform"
                                                          else "N(0, 1)")
    lines += [f"A {entry.variant} generator from keras-gan-zoo: {'x'.join(map(str, entry.image_shape))} images "
              f"in [-1, 1] from {latent} latents.", ""]
    if entry.notes:
        lines += [entry.notes, ""]
    lines += ["## Use", ""] + _usage(entry, use) + [""]
    numbers = {k: v for k, v in entry.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    notes = [v for k, v in entry.metrics.items() if k.endswith("_note") and isinstance(v, str)]
    if numbers or notes:
        lines += ["## Metrics", ""]
        if numbers:
            lines += ["| metric | value |", "|---|---|"] + [f"| {k} | {v:g} |" for k, v in numbers.items()] + [""]
        lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    lines += ["## How it was made", ""]
    lines += [f"- Command: `{entry.command}`" if entry.command else "- Command: not recorded"]
    if entry.seed is not None:
        lines.append(f"- Seed: {entry.seed}")
    lines += [f"- Training data: {entry.dataset or 'not recorded'}", ""]
    lines += ["## Licence", "",
              "The weights are released under Apache-2.0, as is keras-gan-zoo's code."]
    licence = entry.data_licence
    if licence:
        lines.append(f"They were trained on {licence[1]}, licensed {licence[0]}: check whether its terms "
                     "apply to your use.")
    else:
        lines.append("The licence of the training data is not recorded: check it before use.")
    return "\n".join(lines) + "\n"
