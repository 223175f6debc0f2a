"""Custom Keras layers (spectral norm, self-attention, equalized LR, AdaIN, ...).

Each layer lives in its own module, is registered serializable and exportable.
Importing ``layers`` pulls in only Keras/TensorFlow, never TFDS or absl.
The layers arrive with the image architectures (SNGAN, SAGAN, ProGAN, StyleGAN);
DCGAN needs only Keras's built-in layers.
"""
