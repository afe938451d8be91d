"""Tasks of the autoencoder exercise (``exercises/04_autoencoders.ipynb``).

Conventions (those of the chapter and of :mod:`coursekit.models.autoencoders`):

* ``reparameterize(mu, logvar, eps)``: ``mu + exp(logvar / 2) * eps``; ``eps`` is
  given, so the result is deterministic and can be compared exactly.
* ``kl_divergence(mu, logvar)``: KL(N(mu, exp(logvar)) || N(0, I)), **summed**
  over the latent dimensions, **averaged** over the batch; a 0-d tensor.
* ``vae_loss(x_hat, x, mu, logvar, beta)``: squared error **summed** over the
  pixels of each image, averaged over the batch, plus ``beta`` times the KL.
* ``pca_reconstruct(x, mean, components)``: project flattened images on the
  principal subspace and back: ``(x - mean) W^T W + mean``.

Every numeric case uses float64 inputs and values chosen so that the usual
mistakes (variance for standard deviation, a flipped sign, a missing 1/2, a
mean where a sum belongs, forgetting to centre) change the result. The three
functions that the VAE trains through each have a case that compares the
gradients with respect to ``mu`` and ``logvar`` (and ``x_hat``) too, so a result cut
from the graph (``.detach()``, ``.data``, ``.item()``) loses it. Each task also
has one case that checks that the tensors passed in are left as they were, and that
the output is right (:func:`run_inputs_kept`), so that a constant, which
changes nothing, earns nothing there: the notebook's VAE uses ``mu`` and ``logvar``
again after ``reparameterize``, and compares ``pca_reconstruct`` with scikit-learn on
the same ``x``.
"""
from __future__ import annotations

import torch

from ...models.autoencoders import kl_divergence, reparameterize, vae_loss
from ..cases import Case, Task, call, compare_inputs_kept, run_inputs_kept

NOTEBOOK = "04_autoencoders"   # exercises/04_autoencoders.ipynb, the notebook these tasks grade


__all__ = ["TASKS", "reparameterize_reference", "kl_divergence_reference", "vae_loss_reference",
           "pca_reconstruct_reference"]


# ---------------------------------------------------------------- references

# The library's own implementations are the model answers (one source of truth).
reparameterize_reference = reparameterize
kl_divergence_reference = kl_divergence
vae_loss_reference = vae_loss


def pca_reconstruct_reference(x, mean, components):
    """(x - mean) @ components.T @ components + mean."""
    return (x - mean) @ components.T @ components + mean


# --------------------------------------------------------------------- inputs

def _gaussian_params(gen, n, k, dtype=torch.float64, logvar_scale=1.5):
    """mu and logvar of shape (n, k): log-variances well away from 0 on both sides."""
    mu = torch.randn(n, k, generator=gen, dtype=dtype)
    logvar = logvar_scale * torch.randn(n, k, generator=gen, dtype=dtype)
    return mu, logvar


def reparam_case(name, n=4, k=3, dtype=torch.float64, zero_logvar=False, hint="", seed=0, run=call,
                 compare=None) -> Case:
    def inputs(gen):
        mu, logvar = _gaussian_params(gen, n, k, dtype)
        if zero_logvar:
            logvar = torch.zeros_like(logvar)
        return dict(mu=mu, logvar=logvar, eps=torch.randn(n, k, generator=gen, dtype=dtype))
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def kl_case(name, n=5, k=3, dtype=torch.float64, zero=False, hint="", seed=0, run=call, compare=None) -> Case:
    def inputs(gen):
        mu, logvar = _gaussian_params(gen, n, k, dtype)
        if zero:
            mu, logvar = torch.zeros_like(mu), torch.zeros_like(logvar)
        return dict(mu=mu, logvar=logvar)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def vae_loss_case(name, n=3, k=4, size=6, beta=1.0, channels=1, hint="", seed=0, run=call, compare=None) -> Case:
    def inputs(gen):
        x = torch.rand(n, channels, size, size, generator=gen, dtype=torch.float64)
        x_hat = (x + 0.3 * torch.randn(x.shape, generator=gen, dtype=torch.float64)).clamp(0, 1)
        mu, logvar = _gaussian_params(gen, n, k)
        return dict(x_hat=x_hat, x=x, mu=mu, logvar=logvar, beta=beta)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def _orthonormal_rows(gen, k, d, dtype=torch.float64):
    q, _ = torch.linalg.qr(torch.randn(d, k, generator=gen, dtype=dtype))
    return q.T.contiguous()                         # (k, d), rows orthonormal


def pca_case(name, n=5, d=12, k=3, offset=0.5, hint="", seed=0, run=call, compare=None) -> Case:
    def inputs(gen):
        mean = offset + torch.rand(d, generator=gen, dtype=torch.float64)
        x = mean + 0.2 * torch.randn(n, d, generator=gen, dtype=torch.float64)
        return dict(x=x, mean=mean, components=_orthonormal_rows(gen, k, d))
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


# ------------------------------------------------------------------ gradients

NOT_CONNECTED = ("none: the result does not depend on the arguments through autograd (a .detach(), .data, "
                 ".item(), .numpy() or torch.tensor(...) on the way cuts the graph)")


def _with_gradients(obj, inputs, wrt):
    """The output, and the gradient of a fixed weighted sum of it with respect to each argument in
    ``wrt`` (as leaves that require grad); a message in place of the gradients when there are none."""
    leaves = {k: inputs[k].clone().requires_grad_(True) for k in wrt}
    out = obj(**{**inputs, **leaves})
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        return {"output": out, "gradients": NOT_CONNECTED}
    weights = torch.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).view(out.shape)
    grads = torch.autograd.grad((out * weights).sum(), list(leaves.values()), allow_unused=True)
    return {"output": out, "gradients": {k: NOT_CONNECTED if g is None else g for k, g in zip(leaves, grads)}}


def run_reparam_gradients(obj, inputs):
    """z, and its gradients with respect to mu and logvar (those the encoder learns from)."""
    return _with_gradients(obj, inputs, ("mu", "logvar"))


def run_kl_gradients(obj, inputs):
    """The KL term, and its gradients with respect to mu and logvar."""
    return _with_gradients(obj, inputs, ("mu", "logvar"))


def run_loss_gradients(obj, inputs):
    """The loss, and its gradients with respect to the decoder's output and the encoder's mu and logvar."""
    return _with_gradients(obj, inputs, ("x_hat", "mu", "logvar"))


# ---------------------------------------------------------------------- cases

_REPARAM_HINT = ("logvar is the log of the *variance*; the standard deviation is "
                 "sigma = exp(logvar / 2) (torch.exp(0.5 * logvar)), and z = mu + sigma * eps "
                 "with the eps you are given (do not draw a new one).")
REPARAM_CASES = (
    reparam_case("4 samples, 3 latent dimensions", hint=_REPARAM_HINT, seed=1),
    reparam_case("logvar = 0 (sigma = 1): z = mu + eps", n=3, k=5, zero_logvar=True, hint=_REPARAM_HINT, seed=2),
    reparam_case("float32 in, float32 out; 8 samples, 2 dimensions", n=8, k=2, dtype=torch.float32,
                 hint=_REPARAM_HINT + " Keep the inputs' dtype.", seed=3),
    reparam_case("gradients flow to mu and logvar (the point of the trick)", run=run_reparam_gradients, hint=(
        "z must stay differentiable with respect to mu and logvar: compute it with tensor operations on the "
        "arguments themselves, without .detach(), .data, .item(), .numpy() or torch.tensor(...). " + _REPARAM_HINT),
                 seed=5),
    reparam_case("mu, logvar and eps are left as they were", run=run_inputs_kept,
                 compare=compare_inputs_kept, hint=(
        "mu + torch.exp(0.5 * logvar) * eps makes a new tensor; eps.mul_(...), mu.add_(...) or logvar.exp_() "
        "change the caller's tensors (in the notebook's VAE, mu would then hold z, and the KL term would see z "
        "instead of the encoder's mean)."), seed=4),
)

_KL_HINT = ("per sample -1/2 * sum over the latent dimensions of (1 + logvar - mu^2 - exp(logvar)); "
            "then the mean over the batch (dim 0). The KL divergence is never negative.")
KL_CASES = (
    kl_case("mu = 0, logvar = 0: q equals the prior, KL = 0", n=4, k=3, zero=True, hint=_KL_HINT, seed=1),
    kl_case("5 samples, 3 latent dimensions", hint=_KL_HINT, seed=2),
    kl_case("2 samples, 7 latent dimensions (sum over dims, mean over the batch)", n=2, k=7,
            hint=_KL_HINT, seed=3),
    kl_case("float32: 6 samples, 4 dimensions", n=6, k=4, dtype=torch.float32, hint=_KL_HINT, seed=4),
    kl_case("gradients flow to mu and logvar", run=run_kl_gradients, hint=(
        "the KL term trains the encoder, so it must stay differentiable: tensor operations on mu and logvar, "
        "without .detach(), .data, .item() or torch.tensor(...). " + _KL_HINT), seed=6),
    kl_case("mu and logvar are left as they were", run=run_inputs_kept,
            compare=compare_inputs_kept, hint=(
        "mu ** 2 and logvar.exp() make new tensors; mu.pow_(2), logvar.exp_() or mu *= mu change the caller's "
        "tensors (in the notebook's VAE loss, the encoder's mean and log-variance)."), seed=5),
)

_LOSS_HINT = ("reconstruction = squared error summed over all pixels of an image (dims 1, 2, 3), "
              "then averaged over the batch; add beta times the KL term (sum over latent dims, "
              "mean over the batch). beta multiplies the KL term only.")
VAE_LOSS_CASES = (
    vae_loss_case("beta = 1, 3 images of 6x6, 4 latent dimensions", hint=_LOSS_HINT, seed=1),
    vae_loss_case("beta = 0.02, 5 images of 8x8, 2 latent dimensions", n=5, k=2, size=8, beta=0.02,
                  hint=_LOSS_HINT, seed=2),
    vae_loss_case("beta = 0: the reconstruction term alone", n=2, k=3, size=4, beta=0.0,
                  hint=_LOSS_HINT, seed=3),
    vae_loss_case("3 images with 3 channels: the squared error sums over the channels too", channels=3,
                  hint=_LOSS_HINT, seed=4),
    vae_loss_case("gradients flow to x_hat, mu and logvar", run=run_loss_gradients, hint=(
        "the loss trains both networks, so it must stay differentiable with respect to the decoder's output "
        "and the encoder's mu and logvar: no .detach(), .data, .item() or torch.tensor(...) on the way. "
        + _LOSS_HINT), seed=6),
    vae_loss_case("x_hat, x, mu and logvar are left as they were", run=run_inputs_kept,
                  compare=compare_inputs_kept,
                  hint=("(x_hat - x) ** 2 makes a new tensor; x_hat.sub_(x), x_hat -= x or .pow_(2) change the "
                        "caller's images (the decoder's output, or the batch of training images)."), seed=5),
)

_PCA_HINT = ("centre first (x - mean), project on the components (codes = centred @ components.T, "
             "shape (N, k)), map back (codes @ components) and add the mean again.")
PCA_CASES = (
    pca_case("5 images of 12 pixels, 3 components", hint=_PCA_HINT, seed=1),
    pca_case("one component, a mean far from 0", n=4, d=9, k=1, offset=3.0, hint=_PCA_HINT, seed=2),
    pca_case("all 10 components of 10 pixels: the images come back unchanged", n=3, d=10, k=10,
             hint=_PCA_HINT, seed=3),
    pca_case("x, mean and components are left as they were", run=run_inputs_kept,
             compare=compare_inputs_kept, hint=(
        "x - mean makes a new tensor; x -= mean or x.sub_(mean) change the caller's images (in the notebook, the "
        "images then handed to scikit-learn for the comparison)."), seed=4),
)

# coursekit's own answers (the chapter's models use them): a notebook function that only calls
# one of them earns no points, as one imported from coursekit does not.
_AEM = "coursekit.models.autoencoders."
TASKS = [
    Task("ae.reparameterize", "the reparameterisation trick", "reparameterize", 2,
         reparameterize_reference, REPARAM_CASES, forbidden=(_AEM + "reparameterize",)),
    Task("ae.kl_divergence", "KL divergence to the standard normal prior", "kl_divergence", 3,
         kl_divergence_reference, KL_CASES, forbidden=(_AEM + "kl_divergence",)),
    Task("ae.vae_loss", "the VAE loss", "vae_loss", 2, vae_loss_reference, VAE_LOSS_CASES,
         forbidden=(_AEM + "vae_loss", _AEM + "kl_divergence")),
    Task("ae.pca_reconstruct", "PCA reconstruction at a given latent size", "pca_reconstruct", 2,
         pca_reconstruct_reference, PCA_CASES, forbidden=("coursekit.latent.pca_reconstruct",)),
]
