"""The PyTorch side of benchmarks/throughput.py: the zoo's DCGAN networks re-built in torch (eager, CPU).

Not part of the zoo and never imported by it: ``benchmarks/throughput.py`` runs this file
with the python of a venv that has torch (``--torch_python=/tmp/torchvenv/bin/python``).
It needs only torch and the standard library.

    /tmp/torchvenv/bin/python benchmarks/_torch_throughput.py '<json spec>'

The spec (written by throughput.py) gives the model ("dcgan" or "wgan_gp"), the image
shape, latent size, width, the DCGAN upsampling plan (start_h, start_w, n_stages, from
``zoo.networks.dcgan.upsampling_plan``), batch, optimizer settings, d_steps and threads.

Line protocol on stdin/stdout, shared with throughput.py's TensorFlow workers:
prints ``READY {json}`` after building and warming up, answers ``run N`` with
``TIME seconds`` (N training steps) and ``quit`` with ``DONE {json}`` (peak RSS).

The networks mirror ``zoo/networks/dcgan.py`` layer by layer (NCHW here, NHWC there):

* G: z -> ConvTranspose(k=start, valid, no bias) -> BN -> ReLU -> [ConvTranspose(4, s2,
  pad 1, no bias) -> BN -> ReLU] x (n-1) -> ConvTranspose(4, s2, pad 1, bias) -> tanh.
  Keras "same" padding for k=4, s=2 is 1 on each side, the same as torch's padding=1.
* D: [Conv(4, s2, pad 1, bias only on the first or without norm) -> norm (not on the
  first) -> LeakyReLU(0.2)] x n -> Conv(k=start, valid, bias) -> flatten.
* BN: momentum 0.1 (Keras 0.9), eps 1e-5, gamma ~ N(1, 0.02); layer norm: Keras's
  LayerNormalization(axis=-1) normalises over the channels of each pixel, so here the
  channels are moved last for it. Weights ~ N(0, 0.02), biases 0.
* Adam with Keras's epsilon (1e-7).
"""

import json
import sys
import time

import torch
from torch import nn


def peak_rss_mb():
    """Peak resident set size in MB (VmHWM: reset by exec, unlike ru_maxrss, which keeps the parent's)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmHWM in /proc/self/status (peak RSS needs Linux)")


class ChannelLayerNorm(nn.Module):
    """keras.layers.LayerNormalization(axis=-1) on NHWC = LayerNorm over C at each pixel of NCHW."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=1e-5)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def batch_norm(channels):
    bn = nn.BatchNorm2d(channels, eps=1e-5, momentum=0.1)
    nn.init.normal_(bn.weight, 1.0, 0.02)
    nn.init.zeros_(bn.bias)
    return bn


class Generator(nn.Module):
    def __init__(self, latent, channels, width, start_h, start_w, n):
        super().__init__()
        self.latent = latent
        c = width * 2 ** (n - 1)
        layers = [nn.ConvTranspose2d(latent, c, (start_h, start_w), bias=False), batch_norm(c), nn.ReLU()]
        for i in range(n - 1):
            out = width * 2 ** (n - 2 - i)
            layers += [nn.ConvTranspose2d(c, out, 4, stride=2, padding=1, bias=False), batch_norm(out), nn.ReLU()]
            c = out
        layers += [nn.ConvTranspose2d(c, channels, 4, stride=2, padding=1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z.view(-1, self.latent, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, channels, width, start_h, start_w, n, norm):
        super().__init__()
        layers, c = [], channels
        for i in range(n):
            out = width * 2**i
            layers.append(nn.Conv2d(c, out, 4, stride=2, padding=1, bias=(i == 0 or norm is None)))
            if i > 0 and norm == "batch":
                layers.append(batch_norm(out))
            elif i > 0 and norm == "layer":
                layers.append(ChannelLayerNorm(out))
            layers.append(nn.LeakyReLU(0.2))
            c = out
        layers += [nn.Conv2d(c, 1, (start_h, start_w)), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def init_weights(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def counts(module):
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    # BN running mean/var are Keras's non-trainable weights; num_batches_tracked has no Keras twin.
    buffers = sum(b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked"))
    return {"trainable": trainable, "non_trainable": buffers}


def main():
    spec = json.loads(sys.argv[1])
    threads = spec["threads"]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    rss_after_imports = peak_rss_mb()
    torch.manual_seed(0)
    h, w, channels = spec["image_shape"]
    start_h, start_w, n = spec["plan"]
    latent, batch = spec["latent_dim"], spec["batch"]
    g = Generator(latent, channels, spec["width"], start_h, start_w, n)
    d = Discriminator(channels, spec["width"], start_h, start_w, n, spec["d_norm"])
    init_weights(g)
    init_weights(d)
    g.train()
    d.train()
    opt = spec["optimizer"]
    d_opt = torch.optim.Adam(d.parameters(), lr=opt["d_lr"], betas=(opt["beta_1"], opt["beta_2"]), eps=1e-7)
    g_opt = torch.optim.Adam(g.parameters(), lr=opt["g_lr"], betas=(opt["beta_1"], opt["beta_2"]), eps=1e-7)
    gen = torch.Generator().manual_seed(0)
    real = torch.rand((batch, channels, h, w), generator=gen) * 2 - 1
    d_steps, penalty_weight = spec["d_steps"], spec["penalty_weight"]
    softplus = nn.functional.softplus

    def d_loss_fn(real_logits, fake_logits):
        if spec["loss"] == "non_saturating":
            return softplus(-real_logits).mean() + softplus(fake_logits).mean()
        return fake_logits.mean() - real_logits.mean()  # wasserstein

    def g_loss_fn(fake_logits):
        if spec["loss"] == "non_saturating":
            return softplus(-fake_logits).mean()
        return -fake_logits.mean()

    def gradient_penalty(fake):
        eps = torch.rand((batch, 1, 1, 1))
        points = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (grads,) = torch.autograd.grad(d(points).sum(), points, create_graph=True)
        norms = torch.sqrt(grads.square().sum(dim=(1, 2, 3)) + 1e-12)
        return (norms - 1.0).square().mean()

    def step():
        for _ in range(d_steps):
            with torch.no_grad():
                fake = g(torch.randn(batch, latent))
            d_loss = d_loss_fn(d(real), d(fake))
            if penalty_weight:
                d_loss = d_loss + penalty_weight * gradient_penalty(fake)
            d_opt.zero_grad(set_to_none=True)
            d_loss.backward()
            d_opt.step()
        d.requires_grad_(False)  # the G step computes no gradients for D's weights (as a tape on G's variables)
        g_loss = g_loss_fn(d(g(torch.randn(batch, latent))))
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        d.requires_grad_(True)
        return d_loss, g_loss

    def run(steps):
        start = time.perf_counter()
        for _ in range(steps):
            out = step()
        losses = [float(out[0]), float(out[1])]
        return time.perf_counter() - start, losses

    run(5)  # warm up
    info = {
        "params": {"generator": counts(g), "discriminator": counts(d)},
        "torch": torch.__version__,
        "threads": {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()},
        "mkldnn": torch.backends.mkldnn.is_available(),
        "rss_after_imports_mb": rss_after_imports,
        "memory_format": "NCHW (contiguous, torch's default)",
    }
    print("READY " + json.dumps(info), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words and words[0] == "run":
            seconds, losses = run(int(words[1]))
            print("TIME " + json.dumps({"seconds": seconds, "losses": losses, "steady_s_per_step": None}), flush=True)
        elif words and words[0] == "quit":
            break
    print("DONE " + json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)


if __name__ == "__main__":
    main()
