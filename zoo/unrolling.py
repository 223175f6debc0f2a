"""Unrolled GAN (Metz et al., 2017): the discriminator advanced ``k`` optimizer steps, differentiably.

``functional_update(optimizer, variables)`` gives ``update(step, weights, grads) -> new weights``, the
optimizer's rule applied to weight tensors without touching the optimizer, so the generator's gradient
can flow through the unrolled updates (``GAN(unrolled_steps=k)``).
"""

import keras
from keras import ops


def functional_update(optimizer, variables):
    """``update(step, weights, grads) -> new weights`` following ``optimizer`` without touching it.

    Adam continues from its current moments and step count (its moments evolve
    inside the unrolling); other optimizers get plain gradient steps at their
    current learning rate. ``variables`` are the optimizer's variables the weights stand for.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    lr = ops.cast(inner.learning_rate, "float32")
    if not isinstance(inner, keras.optimizers.Adam):
        return lambda step, weights, grads: [w - lr * g for w, g in zip(weights, grads)]
    index = {id(v): inner._get_variable_index(v) for v in variables}
    m = [inner._momentums[index[id(v)]].value for v in variables]
    u = [inner._velocities[index[id(v)]].value for v in variables]
    b1, b2, eps = inner.beta_1, inner.beta_2, inner.epsilon
    start = ops.cast(inner.iterations, "float32")

    def update(step, weights, grads):
        t = start + step + 1.0
        out = []
        for i, (w, g) in enumerate(zip(weights, grads)):
            m[i] = b1 * m[i] + (1.0 - b1) * g
            u[i] = b2 * u[i] + (1.0 - b2) * ops.square(g)
            m_hat, u_hat = m[i] / (1.0 - b1**t), u[i] / (1.0 - b2**t)
            # max(., tiny) keeps the second-order gradient finite where a weight's
            # gradient (so its second moment) is exactly 0: d sqrt(u)/du is inf at 0.
            out.append(w - lr * m_hat / (ops.sqrt(ops.maximum(u_hat, 1e-30)) + eps))
        return out

    return update
