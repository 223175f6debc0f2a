"""Custom Keras layers, one per module; each is registered serializable.

Importing ``layers`` pulls in only Keras/TensorFlow, never TFDS or absl.
The image-architecture layers (spectral norm, self-attention, equalized LR,
AdaIN, pixel norm, ...) arrive with SNGAN/SAGAN/ProGAN/StyleGAN.
"""

from layers.maxout import Maxout
from layers.minibatch_discrimination import MinibatchDiscrimination
from layers.virtual_batch_norm import DropReference, ReferenceBatch, VirtualBatchNormalization

__all__ = ["Maxout", "MinibatchDiscrimination", "ReferenceBatch", "DropReference",
           "VirtualBatchNormalization"]
