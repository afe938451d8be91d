"""The autoencoder exercise's tasks: the reference earns full marks, and every
wrong-but-plausible implementation loses points."""
import pytest
import torch
import torch.nn.functional as F

from coursekit.grading.cases import compare_values, run_inputs_kept
from coursekit.grading.tasks import ae, exercise_tasks, exercises, get_task
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


def input_cases(task):
    """The names of the task's cases that check only that the caller's tensors were left alone."""
    return [c.name for c in task.cases if c.run is run_inputs_kept]


def test_ae_exercise_has_at_least_three_tasks_with_points():
    tasks = exercise_tasks("ae")
    assert "ae" in exercises()
    assert len(tasks) >= 3
    assert all(t.id.startswith("ae.") and t.points > 0 and t.cases for t in tasks)


@pytest.mark.parametrize("task", ae.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


# The references are the library's own functions and also compute the expected outputs, so
# grading them against themselves cannot tell whether they are right. These take another road.

def kl_by_distributions(mu, logvar):
    q = torch.distributions.Normal(mu, logvar.exp().sqrt())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(1).mean()


def vae_loss_by_mse_sum(x_hat, x, mu, logvar, beta=1.0):
    return F.mse_loss(x_hat, x, reduction="sum") / len(x) + beta * kl_by_distributions(mu, logvar)


def pca_by_pseudo_inverse(x, mean, components):
    """Least-squares codes (pinv) equal the projections when the rows are orthonormal."""
    return (x - mean) @ torch.linalg.pinv(components) @ components + mean


INDEPENDENT = [("ae.reparameterize", lambda mu, logvar, eps: mu + logvar.exp().sqrt() * eps),
               ("ae.kl_divergence", kl_by_distributions), ("ae.vae_loss", vae_loss_by_mse_sum),
               ("ae.pca_reconstruct", pca_by_pseudo_inverse)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(ae.TASKS, INDEPENDENT)


@pytest.mark.parametrize("task", ae.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


def test_kl_reference_is_zero_for_the_prior_and_positive_otherwise():
    zero = ae.KL_CASES[0].make_inputs()
    assert ae.kl_divergence_reference(**zero).item() == 0.0
    assert ae.kl_divergence_reference(**ae.KL_CASES[1].make_inputs()).item() > 0


# ------------------------------------------ wrong-but-plausible implementations

def reparam_variance_as_std(mu, logvar, eps):
    return mu + torch.exp(logvar) * eps


def reparam_logvar_as_std(mu, logvar, eps):
    return mu + logvar * eps


def reparam_inverse_std(mu, logvar, eps):
    return mu + torch.exp(-0.5 * logvar) * eps


def reparam_new_noise(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def reparam_returns_float32(mu, logvar, eps):
    return (mu + torch.exp(0.5 * logvar) * eps).float()


def kl_sign_flipped(mu, logvar):
    return (0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()


def kl_missing_half(mu, logvar):
    return (-(1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()


def kl_mean_over_latent_dims(mu, logvar):
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean()


def kl_sum_over_batch(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()


def kl_std_for_variance(mu, logvar):
    """exp(logvar / 2) (the std) where exp(logvar) (the variance) belongs."""
    return (-0.5 * (1 + logvar - mu.pow(2) - torch.exp(0.5 * logvar)).sum(1)).mean()


def kl_forgets_mu(mu, logvar):
    return (-0.5 * (1 + logvar - logvar.exp()).sum(1)).mean()


def kl_returns_per_sample(mu, logvar):
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)


def loss_mean_over_pixels(x_hat, x, mu, logvar, beta=1.0):
    return F.mse_loss(x_hat, x) + beta * ae.kl_divergence_reference(mu, logvar)


def loss_sum_over_batch(x_hat, x, mu, logvar, beta=1.0):
    return (x_hat - x).pow(2).sum() + beta * ae.kl_divergence_reference(mu, logvar)


def loss_beta_on_reconstruction(x_hat, x, mu, logvar, beta=1.0):
    rec = (x_hat - x).pow(2).flatten(1).sum(1).mean()
    return beta * rec + ae.kl_divergence_reference(mu, logvar)


def loss_ignores_beta(x_hat, x, mu, logvar, beta=1.0):
    return (x_hat - x).pow(2).flatten(1).sum(1).mean() + ae.kl_divergence_reference(mu, logvar)


def loss_kl_subtracted(x_hat, x, mu, logvar, beta=1.0):
    return (x_hat - x).pow(2).flatten(1).sum(1).mean() - beta * ae.kl_divergence_reference(mu, logvar)


def loss_bce(x_hat, x, mu, logvar, beta=1.0):
    rec = F.binary_cross_entropy(x_hat.clamp(1e-6, 1 - 1e-6), x, reduction="none").flatten(1).sum(1).mean()
    return rec + beta * ae.kl_divergence_reference(mu, logvar)


def loss_sums_height_and_width_only(x_hat, x, mu, logvar, beta=1.0):
    """Sums over H and W, then averages over channels too: C times too small on colour images."""
    return (x_hat - x).pow(2).sum(dim=(2, 3)).mean() + beta * ae.kl_divergence_reference(mu, logvar)


def pca_not_centred(x, mean, components):
    return x @ components.T @ components


def pca_forgets_mean_back(x, mean, components):
    return (x - mean) @ components.T @ components


def pca_returns_codes(x, mean, components):
    return (x - mean) @ components.T


def pca_wrong_orientation(x, mean, components):
    """Treats the rows as columns: W W^T instead of W^T W (fails on shapes)."""
    return ((x - mean).T[: components.shape[0]].T @ components @ components.T) + mean


def reparam_in_place(mu, logvar, eps):
    """The right numbers, written over the caller's eps."""
    return eps.mul_(torch.exp(0.5 * logvar)).add_(mu)


def kl_in_place(mu, logvar):
    """The right numbers, but mu is squared in the caller's tensor."""
    variance = logvar.exp()
    return (-0.5 * (1 + logvar - mu.pow_(2) - variance).sum(1)).mean()


def loss_in_place(x_hat, x, mu, logvar, beta=1.0):
    """The right numbers, but the decoder's output becomes the squared error."""
    return x_hat.sub_(x).pow_(2).flatten(1).sum(1).mean() + beta * ae.kl_divergence_reference(mu, logvar)


def pca_in_place(x, mean, components):
    """The right numbers, but the caller's images are centred in place."""
    x -= mean
    return x @ components.T @ components + mean


def reparam_through_data(mu, logvar, eps):
    """The right numbers from .data (old tutorials' style): nothing flows back to the encoder."""
    return mu.data + torch.exp(0.5 * logvar.data) * eps


def reparam_sigma_detached(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar).detach() * eps


def kl_rebuilt_from_item(mu, logvar):
    return torch.tensor(ae.kl_divergence_reference(mu, logvar).item(), dtype=mu.dtype)


def loss_kl_detached(x_hat, x, mu, logvar, beta=1.0):
    return (x_hat - x).pow(2).flatten(1).sum(1).mean() + beta * ae.kl_divergence_reference(mu, logvar).detach()


def kl_always_zero(mu, logvar):
    """Right on the prior only; changes nothing, because it computes nothing."""
    return torch.zeros((), dtype=mu.dtype)


def pca_returns_the_images(x, mean, components):
    """Right with all components only; leaves x alone by returning it."""
    return x


CUT_GRAPH = [("ae.reparameterize", reparam_through_data), ("ae.reparameterize", reparam_sigma_detached),
             ("ae.kl_divergence", kl_rebuilt_from_item), ("ae.vae_loss", loss_kl_detached)]

IN_PLACE = [("ae.reparameterize", reparam_in_place, "eps"), ("ae.kl_divergence", kl_in_place, "mu"),
            ("ae.vae_loss", loss_in_place, "x_hat"), ("ae.pca_reconstruct", pca_in_place, "x")]

WRONG = [
    *((task_id, wrong) for task_id, wrong, _ in IN_PLACE), *CUT_GRAPH,
    ("ae.kl_divergence", kl_always_zero), ("ae.pca_reconstruct", pca_returns_the_images),
    ("ae.reparameterize", reparam_variance_as_std), ("ae.reparameterize", reparam_logvar_as_std),
    ("ae.reparameterize", reparam_inverse_std), ("ae.reparameterize", reparam_new_noise),
    ("ae.reparameterize", reparam_returns_float32),
    ("ae.kl_divergence", kl_sign_flipped), ("ae.kl_divergence", kl_missing_half),
    ("ae.kl_divergence", kl_mean_over_latent_dims), ("ae.kl_divergence", kl_sum_over_batch),
    ("ae.kl_divergence", kl_std_for_variance), ("ae.kl_divergence", kl_forgets_mu),
    ("ae.kl_divergence", kl_returns_per_sample),
    ("ae.vae_loss", loss_mean_over_pixels), ("ae.vae_loss", loss_sum_over_batch),
    ("ae.vae_loss", loss_beta_on_reconstruction), ("ae.vae_loss", loss_ignores_beta),
    ("ae.vae_loss", loss_kl_subtracted), ("ae.vae_loss", loss_bce), ("ae.vae_loss", loss_sums_height_and_width_only),
    ("ae.pca_reconstruct", pca_not_centred), ("ae.pca_reconstruct", pca_forgets_mean_back),
    ("ae.pca_reconstruct", pca_returns_codes), ("ae.pca_reconstruct", pca_wrong_orientation),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(ae.TASKS, WRONG)


def test_a_kl_that_is_right_on_the_prior_only_still_fails_the_other_cases():
    result = grade_in_process("ae.kl_divergence", kl_missing_half)
    passed = [c.passed for c in result.cases if c.case.run is not run_inputs_kept]
    assert passed[0] and not any(passed[1:])


@pytest.mark.parametrize("task_id, wrong, argument", IN_PLACE, ids=[t for t, _, _ in IN_PLACE])
def test_a_function_that_changes_its_input_in_place_fails_the_input_case_and_is_told_so(task_id, wrong, argument):
    """It passes every case that compares outputs; the gradient case, whose arguments are leaves that
    require grad, may fail too (an in-place change of such a leaf raises)."""
    result = grade_in_process(task_id, wrong)
    failed = {c.case.name: c.message for c in result.cases if not c.passed}
    gradient_cases = [c.name for c in result.task.cases if "gradients flow" in c.name]
    assert [name for name in failed if name not in gradient_cases] == input_cases(result.task)
    (case,) = input_cases(result.task)
    assert failed[case].startswith(f"your function changed its argument(s) {argument} in place")


@pytest.mark.parametrize("task_id, wrong", CUT_GRAPH, ids=lambda v: getattr(v, "__name__", v))
def test_a_result_cut_from_the_autograd_graph_fails_only_the_gradient_case_and_is_told_why(task_id, wrong):
    failed = [c for c in grade_in_process(task_id, wrong).cases if not c.passed]
    assert [c.case.name for c in failed] == [c.name for c in get_task(task_id).cases if "gradients flow" in c.name]
    assert ".detach(), .data, .item()" in failed[0].message


@pytest.mark.parametrize("task_id, wrong", [("ae.kl_divergence", kl_always_zero),
                                            ("ae.pca_reconstruct", pca_returns_the_images)], ids=["kl", "pca"])
def test_an_answer_that_computes_nothing_earns_nothing_from_the_case_for_the_caller_s_tensors(task_id, wrong):
    result = grade_in_process(task_id, wrong)
    (case,) = input_cases(result.task)
    (outcome,) = [c for c in result.cases if c.case.name == case]
    assert not outcome.passed and outcome.message.startswith("output: ")


@pytest.mark.parametrize("task", ae.TASKS, ids=lambda t: t.id)
def test_every_task_has_one_case_for_the_caller_s_tensors_and_the_reference_passes_it(task):
    assert len(input_cases(task)) == 1
    assert all(c.passed for c in grade_in_process(task.id, task.reference).cases)


def test_variance_for_std_is_caught_but_passes_where_logvar_is_zero():
    result = grade_in_process("ae.reparameterize", reparam_variance_as_std)
    passed = {c.case.name: c.passed for c in result.cases}
    assert passed["logvar = 0 (sigma = 1): z = mu + eps"]
    assert not passed["4 samples, 3 latent dimensions"]


def kl_computed_in_float64(mu, logvar):
    mu, logvar = mu.double(), logvar.double()
    return (-0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1)).mean()


def test_a_kl_that_returns_float64_for_float32_inputs_fails_only_the_float32_case_and_is_told_to_cast_back():
    result = grade_in_process("ae.kl_divergence", kl_computed_in_float64)
    failed = [c for c in result.cases if not c.passed]
    assert [c.case.name for c in failed] == [c.case.name for c in result.cases if "float32" in c.case.name]
    assert "cast back after any .double()" in failed[0].message
