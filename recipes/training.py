"""What ``recipes.train.run`` trains on and how a run refuses its inputs.

``TrainingData`` is the contract between the trainer (``recipes.train``) and the data providers
(``recipes.train.image_data``, ``recipes.translation.translation_data``); ``RunError`` is what a run
raises for inputs it cannot take. Both live here, apart from the trainer, so that a provider needs
no import of ``recipes.train`` (which imports the providers): no import cycle. ``recipes.train``
re-exports both. Imports nothing heavy.
"""

import dataclasses


class RunError(Exception):
    """A problem with the run's inputs; the CLI prints it without a stack trace."""


@dataclasses.dataclass
class TrainingData:
    """What ``run`` trains on, from ``image_data`` or ``recipes.translation.translation_data``.

    ``grid(directory, scale=1)`` makes the sample-grid callback (also used for ``final.png`` and TensorBoard);
    ``extra_models`` maps extra workdir files to GAN attributes saved beside ``generator.keras``.
    """

    dataset: object
    num_examples: int
    image_shape: tuple
    model_options: dict
    grid: object
    summary: dict
    extra_models: dict = dataclasses.field(default_factory=dict)
