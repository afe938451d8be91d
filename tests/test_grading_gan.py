"""The GAN exercise's tasks: the reference earns full marks, and every
wrong-but-plausible implementation (sign errors, the saturating loss, a missing
detach, unguarded logs, noise as data, mismatched shapes) loses points."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.grading.cases import compare_values, run_inputs_kept
from coursekit.grading.tasks import exercise_tasks, exercises, gan
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")


def input_cases(task):
    """The names of the task's cases that check only that the caller's tensors were left alone."""
    return [c.name for c in task.cases if c.run is run_inputs_kept]


def test_gan_exercise_tasks_and_points():
    tasks = exercise_tasks("gan")
    assert "gan" in exercises()
    assert all(t.id.startswith("gan.") and t.points > 0 and t.cases for t in tasks)
    assert sum(t.points for t in tasks) == 17


@pytest.mark.parametrize("task", gan.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


# The reference also computes the expected outputs, so grading it against itself cannot tell
# whether it is right. These implementations take another road to the same answer.

def d_loss_by_logsigmoid(real_logits, fake_logits, smooth=0.0):
    """-[(1 - s) log sigma(l) + s log(1 - sigma(l))] on real logits, -log(1 - sigma(l)) on fakes."""
    real = (1 - smooth) * F.logsigmoid(real_logits) + smooth * F.logsigmoid(-real_logits)
    return -real.mean() - F.logsigmoid(-fake_logits).mean()


def g_loss_by_softplus(fake_logits):
    return F.softplus(-fake_logits).mean()   # -log sigma(l) = log(1 + e^-l)


def dstar_by_log_odds(p_data, p_g):
    p_data, p_g = torch.as_tensor(p_data), torch.as_tensor(p_g)   # the notebook passes NumPy arrays
    return torch.sigmoid(torch.log(p_data) - torch.log(p_g))   # D* = sigma(log p_data - log p_g)


def labels_by_identity_rows(t, y, n_classes):
    code = torch.eye(n_classes, dtype=t.dtype)[y]
    if t.ndim == 4:
        code = code.view(*code.shape, 1, 1).repeat(1, 1, *t.shape[2:])
    return torch.cat([t, code], dim=1)


def step_by_softplus(G, D, opt_g, opt_d, real, z):
    fake = G(z)
    opt_d.zero_grad(set_to_none=True)
    d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    g_loss = F.softplus(-D(fake)).mean()
    g_loss.backward()
    opt_g.step()
    return float(d_loss.detach()), float(g_loss.detach())


def real_batch_by_index_select(images, batch_size, generator):
    return images.index_select(0, torch.randint(len(images), (batch_size,), generator=generator))


class UpsamplingGenerator(nn.Module):
    """Nearest-neighbour upsampling and 3x3 convolutions instead of transposed convolutions."""

    def __init__(self, z_dim=64, width=32):
        super().__init__()
        self.width = width
        self.fc = nn.Linear(z_dim, width * 7 * 7)
        self.net = nn.Sequential(
            nn.ReLU(), nn.Upsample(scale_factor=2), nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2), nn.Conv2d(width, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, z):
        return self.net(self.fc(z).view(-1, self.width, 7, 7))


class PoolingDiscriminator(nn.Module):
    """3x3 convolutions and max-pooling instead of strided 4x4 convolutions. With
    ``global_average`` the last pooling averages over all of space: the logits are raw, and it
    learns, but too slowly for the case."""

    def __init__(self, width=32, global_average=False):
        super().__init__()
        head = ([nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 1)] if global_average else
                [nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1)])
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.LeakyReLU(0.2), *head)

    def forward(self, x):
        return self.net(x).squeeze(1)


INDEPENDENT = [("gan.d_loss", d_loss_by_logsigmoid), ("gan.g_loss", g_loss_by_softplus),
               ("gan.optimal_d", dstar_by_log_odds), ("gan.conditioning", labels_by_identity_rows),
               ("gan.train_step", step_by_softplus), ("gan.real_batch", real_batch_by_index_select),
               ("gan.generator", UpsamplingGenerator), ("gan.discriminator", PoolingDiscriminator)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(gan.TASKS, INDEPENDENT)


@pytest.mark.parametrize("task", gan.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


# ------------------------------------------ wrong-but-plausible implementations

def d_loss_wrong_sign(real_logits, fake_logits, smooth=0.0):
    """The article's loss, mean(log D(x) + log(1 - D(G(z)))), minimised."""
    return -gan.discriminator_loss_reference(real_logits, fake_logits, smooth)


def d_loss_unguarded_log(real_logits, fake_logits, smooth=0.0):
    """Probabilities through log, no guard."""
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    real = -((1 - smooth) * torch.log(d_real) + smooth * torch.log(1 - d_real)).mean()
    return real - torch.log(1 - d_fake).mean()


def d_loss_clamped_log(real_logits, fake_logits, smooth=0.0):
    d_real, d_fake = torch.sigmoid(real_logits), torch.sigmoid(fake_logits)
    real = -((1 - smooth) * torch.log(d_real + 1e-8) + smooth * torch.log(1 - d_real + 1e-8)).mean()
    return real - torch.log(1 - d_fake + 1e-8).mean()


def d_loss_averaged(real_logits, fake_logits, smooth=0.0):
    return gan.discriminator_loss_reference(real_logits, fake_logits, smooth) / 2


def d_loss_one_mean_over_all(real_logits, fake_logits, smooth=0.0):
    logits = torch.cat([real_logits, fake_logits])
    targets = torch.cat([torch.full_like(real_logits, 1 - smooth), torch.zeros_like(fake_logits)])
    return 2 * F.binary_cross_entropy_with_logits(logits, targets)


def d_loss_two_sided_smoothing(real_logits, fake_logits, smooth=0.0):
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1 - smooth))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.full_like(fake_logits, smooth))
    return real + fake


def d_loss_smooth_as_target(real_logits, fake_logits, smooth=0.0):
    target = torch.full_like(real_logits, smooth if smooth else 1.0)
    return (F.binary_cross_entropy_with_logits(real_logits, target)
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def d_loss_targets_swapped(real_logits, fake_logits, smooth=0.0):
    return gan.discriminator_loss_reference(fake_logits, real_logits, smooth)


def g_loss_saturating(fake_logits):
    """log(1 - D(G(z))), minimised: the saturating loss passed off as the non-saturating one."""
    return -F.softplus(fake_logits).mean()


def g_loss_wrong_sign(fake_logits):
    """The article's generator: minimises mean log D(G(z))."""
    return F.logsigmoid(fake_logits).mean()


def g_loss_unguarded(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()


def g_loss_sum(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits), reduction="sum")


def dstar_swapped(p_data, p_g):
    return p_g / (p_data + p_g)


def dstar_ratio(p_data, p_g):
    return p_data / p_g


def dstar_difference(p_data, p_g):
    return torch.sigmoid(p_data - p_g)


def dstar_with_epsilon(p_data, p_g):
    """An epsilon 'for safety': where both densities are small (tails), it dominates the answer."""
    return p_data / (p_data + p_g + 1e-8)


def labels_one_channel_only(t, y, n_classes):
    """Multiplies the code by ones_like(t): right only when the images have one channel."""
    code = F.one_hot(y, n_classes).to(t.dtype)
    if t.ndim == 4:
        code = code[:, :, None, None] * torch.ones_like(t)
    return torch.cat([t, code], dim=1)


def labels_as_scalar(t, y, n_classes):
    """Appends the label itself as one number, not a one-hot code."""
    extra = y.to(t.dtype).view(-1, *([1] * (t.ndim - 1))).expand(-1, 1, *t.shape[2:])
    return torch.cat([t, extra], dim=1)


def labels_no_num_classes(t, y, n_classes):
    code = F.one_hot(y).to(t.dtype)
    if t.ndim == 4:
        code = code[:, :, None, None].expand(-1, -1, *t.shape[2:])
    return torch.cat([t, code], dim=1)


def labels_int_dtype(t, y, n_classes):
    code = F.one_hot(y, n_classes).double()
    if t.ndim == 4:
        code = code[:, :, None, None].expand(-1, -1, *t.shape[2:])
    return torch.cat([t.double(), code], dim=1)


def labels_2d_only(t, y, n_classes):
    return torch.cat([t.flatten(1), F.one_hot(y, n_classes).to(t.dtype)], dim=1)


def _train_step_with(d_loss_fn, g_loss_fn, detach=True, g_first=False, zero_grad=True):
    def train_step(G, D, opt_g, opt_d, real, z):
        fake = G(z)

        def d_update():
            if zero_grad:
                opt_d.zero_grad()
            loss = d_loss_fn(D(real), D(fake.detach() if detach else fake))
            loss.backward()
            opt_d.step()
            return loss.item()

        def g_update():
            if zero_grad:
                opt_g.zero_grad()
            loss = g_loss_fn(D(G(z)))
            loss.backward()
            opt_g.step()
            return loss.item()

        if g_first:
            g = g_update()
            return d_update(), g
        d = d_update()
        return d, g_update()
    return train_step


ref_d, ref_g = gan.discriminator_loss_reference, gan.generator_loss_reference
step_missing_detach = _train_step_with(ref_d, ref_g, detach=False)
step_missing_detach.__name__ = "step_missing_detach"
step_saturating = _train_step_with(ref_d, g_loss_saturating)
step_saturating.__name__ = "step_saturating"
step_d_sign_error = _train_step_with(d_loss_wrong_sign, ref_g)
step_d_sign_error.__name__ = "step_d_sign_error"
step_g_sign_error = _train_step_with(ref_d, g_loss_wrong_sign)
step_g_sign_error.__name__ = "step_g_sign_error"
step_g_first = _train_step_with(ref_d, ref_g, g_first=True)
step_g_first.__name__ = "step_g_first"
step_no_zero_grad = _train_step_with(ref_d, ref_g, zero_grad=False)
step_no_zero_grad.__name__ = "step_no_zero_grad"


def step_missing_detach_but_zero_grad(G, D, opt_g, opt_d, real, z):
    """No detach, but G's gradient is cleared before its own update: right numbers, wrong graph."""
    fake = G(z)
    opt_d.zero_grad()
    d = ref_d(D(real), D(fake))
    d.backward(retain_graph=True)
    opt_d.step()
    opt_g.zero_grad()
    g = ref_g(D(fake))
    g.backward()
    opt_g.step()
    return d.item(), g.item()


def step_in_eval_mode(G, D, opt_g, opt_d, real, z):
    """Right otherwise, but trains in eval mode: batch norm would use running statistics, dropout nothing."""
    G.eval()
    D.eval()
    return gan.train_step_reference(G, D, opt_g, opt_d, real, z)


def real_batch_uniform_noise(images, batch_size, generator):
    """The article's 'real' images."""
    return torch.rand(batch_size, *images.shape[1:], generator=generator)


def real_batch_first_images(images, batch_size, generator):
    return images[:batch_size]


def real_batch_global_rng(images, batch_size, generator):
    return images[torch.randint(0, images.shape[0], (batch_size,))]


def real_batch_permutation(images, batch_size, generator):
    """No replacement: breaks on a batch larger than the data set."""
    return images[torch.randperm(images.shape[0], generator=generator)[:batch_size]]


def real_batch_rounded(images, batch_size, generator):
    """Rounds uniform numbers to indices: the first and last images come half as often as the others."""
    return images[(torch.rand(batch_size, generator=generator) * (images.shape[0] - 1)).round().long()]


def real_batch_consecutive(images, batch_size, generator):
    """A block of neighbouring images from one random start: only N different batches."""
    start = torch.randint(0, images.shape[0], (1,), generator=generator)
    return images[(start + torch.arange(batch_size)) % images.shape[0]]


class TanhClampedGenerator(gan.GeneratorReference):
    """Tanh, then clamp(0, 1): a third of the pixels sit at exactly 0, with no gradient."""

    def forward(self, z):
        return (2 * super().forward(z) - 1).clamp(0, 1)


class SqueezeAllDiscriminator(gan.DiscriminatorReference):
    """.squeeze() with no axis: one image gives a 0-d tensor, not (1,)."""

    def forward(self, x):
        return self.net(x).squeeze()


def real_batch_never_the_last_image(images, batch_size, generator):
    """randint's upper bound is exclusive already: the - 1 leaves the last image out for ever."""
    return images[torch.randint(0, images.shape[0] - 1, (batch_size,), generator=generator)]


class ArticleGenerator(nn.Module):
    """The article's generator: emits 8 x 8 images."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 256)
        self.net = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1), nn.Sigmoid())

    def forward(self, z):
        return self.net(torch.relu(self.fc(z)).view(-1, 4, 8, 8))


class TanhGenerator(gan.GeneratorReference):
    """Ends in tanh: images in [-1, 1]."""

    def forward(self, z):
        return 2 * super().forward(z) - 1


class IgnoresZGenerator(nn.Module):
    """A learned constant image: z is never used."""

    def __init__(self):
        super().__init__()
        self.image = nn.Parameter(torch.zeros(1, 1, 28, 28))

    def forward(self, z):
        return torch.sigmoid(self.image).expand(z.shape[0], -1, -1, -1)


class UnusedLayerGenerator(gan.GeneratorReference):
    def __init__(self):
        super().__init__()
        self.extra = nn.Linear(3, 3)


class FlatDiscriminator(nn.Module):
    """The article's discriminator: expects flattened (N, 784) vectors."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(28 * 28, 1)

    def forward(self, x):
        if x.ndim != 2:
            raise ValueError("expected (N, 784)")
        return self.fc(x).squeeze(1)


class SigmoidDiscriminator(gan.DiscriminatorReference):
    """Returns probabilities where logits are expected."""

    def forward(self, x):
        return torch.sigmoid(super().forward(x))


class KeepdimDiscriminator(gan.DiscriminatorReference):
    def forward(self, x):
        return self.net(x)


def d_loss_in_place(real_logits, fake_logits, smooth=0.0):
    """The right numbers, but -log(1 - D(G(z))) = -log sigmoid(-l) is taken by negating the caller's logits."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1 - smooth))
    return real - F.logsigmoid(fake_logits.neg_()).mean()


def d_loss_real_part_detached(real_logits, fake_logits, smooth=0.0):
    """The right number, but D would learn nothing from the real images."""
    return gan.discriminator_loss_reference(real_logits.detach(), fake_logits, smooth)


def d_loss_rebuilt_from_item(real_logits, fake_logits, smooth=0.0):
    loss = gan.discriminator_loss_reference(real_logits, fake_logits, smooth)
    return torch.tensor(loss.item(), dtype=real_logits.dtype)


def g_loss_in_place(fake_logits):
    """Negates the caller's logits; the checks pass logits that require grad, where that raises."""
    return F.softplus(fake_logits.neg_()).mean()


def dstar_in_place(p_data, p_g):
    """The right numbers, written over the caller's p_data (the notebook's value function then fails)."""
    p_data /= p_data + p_g
    return p_data


def dstar_in_place_into_p_g(p_data, p_g):
    p_g += p_data
    return p_data / p_g


def labels_unsqueeze_in_place(t, y, n_classes):
    """The right numbers, but y.unsqueeze_(1) leaves the caller's labels with shape (N, 1)."""
    code = torch.zeros(len(y), n_classes, dtype=t.dtype).scatter_(1, y.unsqueeze_(1), 1.0)
    if t.ndim == 4:
        code = code[:, :, None, None].expand(-1, -1, *t.shape[2:])
    return torch.cat([t, code], dim=1)


IN_PLACE = [("gan.d_loss", d_loss_in_place, "fake_logits"), ("gan.optimal_d", dstar_in_place, "p_data"),
            ("gan.optimal_d", dstar_in_place_into_p_g, "p_g"), ("gan.conditioning", labels_unsqueeze_in_place, "y")]


def dstar_tensors_only(p_data, p_g):
    """Right on tensors, but torch.where refuses the NumPy arrays that the notebook passes."""
    return torch.where(p_data + p_g > 0, p_data / (p_data + p_g), 0.5)


def dstar_always_half(p_data, p_g):
    """Right where p_g = p_data only; changes nothing, because it computes nothing."""
    return torch.full_like(p_data, 0.5)


def labels_return_t(t, y, n_classes):
    return t


def real_batch_one_image_repeated(images, batch_size, generator):
    """One random image, repeated batch_size times: random, fair, but every batch is one image."""
    i = torch.randint(0, images.shape[0], (1,), generator=generator)
    return images[i].expand(batch_size, -1, -1, -1)


class TanhDiscriminator(gan.DiscriminatorReference):
    """Ends in a tanh: logits in [-1, 1], so BCE-with-logits stays at or above 0.313."""

    def forward(self, x):
        return torch.tanh(super().forward(x))


class ReluDiscriminator(gan.DiscriminatorReference):
    """A ReLU after the last layer (shifted so that it is not dead): no logit below 0, no confident 'fake'."""

    def forward(self, x):
        return torch.relu(super().forward(x) + 3)


class LogSigmoidDiscriminator(gan.DiscriminatorReference):
    """Returns log D(x): no logit above 0, no confident 'real'."""

    def forward(self, x):
        return F.logsigmoid(super().forward(x))


WRONG = [
    *((task_id, wrong) for task_id, wrong, _ in IN_PLACE), ("gan.g_loss", g_loss_in_place),
    ("gan.real_batch", real_batch_one_image_repeated), ("gan.discriminator", TanhDiscriminator),
    ("gan.optimal_d", dstar_tensors_only), ("gan.d_loss", d_loss_real_part_detached),
    ("gan.d_loss", d_loss_rebuilt_from_item), ("gan.optimal_d", dstar_always_half),
    ("gan.conditioning", labels_return_t),
    ("gan.discriminator", ReluDiscriminator), ("gan.discriminator", LogSigmoidDiscriminator),
    ("gan.d_loss", d_loss_wrong_sign), ("gan.d_loss", d_loss_unguarded_log), ("gan.d_loss", d_loss_clamped_log),
    ("gan.d_loss", d_loss_averaged), ("gan.d_loss", d_loss_one_mean_over_all),
    ("gan.d_loss", d_loss_two_sided_smoothing), ("gan.d_loss", d_loss_smooth_as_target),
    ("gan.d_loss", d_loss_targets_swapped),
    ("gan.g_loss", g_loss_saturating), ("gan.g_loss", g_loss_wrong_sign), ("gan.g_loss", g_loss_unguarded),
    ("gan.g_loss", g_loss_sum),
    ("gan.optimal_d", dstar_swapped), ("gan.optimal_d", dstar_ratio), ("gan.optimal_d", dstar_difference),
    ("gan.optimal_d", dstar_with_epsilon), ("gan.conditioning", labels_one_channel_only),
    ("gan.real_batch", real_batch_rounded), ("gan.real_batch", real_batch_consecutive),
    ("gan.generator", TanhClampedGenerator), ("gan.discriminator", SqueezeAllDiscriminator),
    ("gan.conditioning", labels_as_scalar), ("gan.conditioning", labels_no_num_classes),
    ("gan.conditioning", labels_int_dtype), ("gan.conditioning", labels_2d_only),
    ("gan.train_step", step_missing_detach), ("gan.train_step", step_saturating),
    ("gan.train_step", step_d_sign_error), ("gan.train_step", step_g_sign_error), ("gan.train_step", step_g_first),
    ("gan.train_step", step_no_zero_grad), ("gan.train_step", step_missing_detach_but_zero_grad),
    ("gan.train_step", step_in_eval_mode),
    ("gan.real_batch", real_batch_uniform_noise), ("gan.real_batch", real_batch_first_images),
    ("gan.real_batch", real_batch_global_rng), ("gan.real_batch", real_batch_permutation),
    ("gan.real_batch", real_batch_never_the_last_image),
    ("gan.generator", ArticleGenerator), ("gan.generator", TanhGenerator), ("gan.generator", IgnoresZGenerator),
    ("gan.generator", UnusedLayerGenerator),
    ("gan.discriminator", FlatDiscriminator), ("gan.discriminator", SigmoidDiscriminator),
    ("gan.discriminator", KeepdimDiscriminator),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(gan.TASKS, WRONG)


def _passed(task_id, obj):
    return {c.case.name: c.passed for c in grade_in_process(task_id, obj).cases}


@pytest.mark.parametrize("task_id, wrong, argument", IN_PLACE, ids=lambda v: getattr(v, "__name__", v))
def test_a_function_that_changes_its_input_in_place_fails_the_input_case_and_is_told_so(task_id, wrong, argument):
    """It passes every case that compares outputs; the d_loss gradient case, whose logits are leaves
    that require grad, may fail too (an in-place change of such a leaf raises)."""
    result = grade_in_process(task_id, wrong)
    failed = {c.case.name: c.message for c in result.cases if not c.passed}
    gradient_cases = [c.name for c in result.task.cases if c.run is gan.run_d_loss_and_grad]
    assert [name for name in failed if name not in gradient_cases] == input_cases(result.task)
    (case,) = input_cases(result.task)
    assert failed[case].startswith(f"your function changed its argument(s) {argument} in place")


@pytest.mark.parametrize("task_id, wrong", [("gan.optimal_d", dstar_always_half),
                                            ("gan.conditioning", labels_return_t)], ids=["optimal_d", "conditioning"])
def test_an_answer_that_computes_nothing_earns_nothing_from_the_case_for_the_caller_s_tensors(task_id, wrong):
    result = grade_in_process(task_id, wrong)
    (case,) = input_cases(result.task)
    (outcome,) = [c for c in result.cases if c.case.name == case]
    assert not outcome.passed and outcome.message.startswith("output: ")


@pytest.mark.parametrize("task_id", ["gan.d_loss", "gan.optimal_d", "gan.conditioning"])
def test_the_tasks_on_tensors_have_one_case_for_the_caller_s_tensors_and_the_reference_passes_it(task_id):
    task = next(t for t in gan.TASKS if t.id == task_id)
    result = grade_in_process(task_id, task.reference)
    assert len(input_cases(task)) == 1
    assert all(c.passed for c in result.cases)


@pytest.mark.parametrize("wrong", [d_loss_real_part_detached, d_loss_rebuilt_from_item], ids=lambda f: f.__name__)
def test_a_discriminator_loss_cut_from_the_graph_fails_only_the_gradient_case(wrong):
    failed = [c for c in grade_in_process("gan.d_loss", wrong).cases if not c.passed]
    assert [c.case.run for c in failed] == [gan.run_d_loss_and_grad]
    assert "must stay differentiable" in failed[0].message


def test_a_d_star_that_takes_only_tensors_fails_only_the_numpy_case():
    result = grade_in_process("gan.optimal_d", dstar_tensors_only)
    failed = [c for c in result.cases if not c.passed]
    assert [c.case.run for c in failed] == [gan.run_on_arrays]
    assert "raised TypeError" in failed[0].message and "NumPy arrays" in failed[0].message


def test_a_generator_loss_that_changes_its_logits_in_place_raises_under_autograd():
    """Its cases differentiate the loss with respect to the logits, leaves that require grad."""
    result = grade_in_process("gan.g_loss", g_loss_in_place)
    assert not any(c.passed for c in result.cases)
    assert all("in-place operation" in c.message for c in result.cases)


def test_one_image_repeated_as_a_batch_fails_the_repeat_check_only():
    for case in grade_in_process("gan.real_batch", real_batch_one_image_repeated).cases:
        assert not case.passed
        assert case.message.startswith("output['a batch is not one image repeated']")


def test_missing_detach_is_caught_even_when_the_numbers_are_right():
    passed = _passed("gan.train_step", step_missing_detach_but_zero_grad)
    assert passed["one step: losses, then both networks' parameters"]
    assert not passed["the D update puts no gradient into G (detach the fakes)"]


def test_saturating_loss_fails_the_vanishing_gradient_case_with_its_hint():
    result = grade_in_process("gan.g_loss", g_loss_saturating)
    failed = [c for c in result.cases if not c.passed]
    assert any("must not vanish" in c.case.name and "saturating" in c.message for c in failed)


def test_unguarded_log_passes_ordinary_logits_but_not_extreme_ones():
    passed = _passed("gan.d_loss", d_loss_unguarded_log)
    assert passed["logits of both signs, 6 real and 6 fake"]
    assert not passed["a confident, wrong D in float32 (logits of +-120): finite loss"]


def test_sigmoid_discriminator_passes_the_shape_case_but_cannot_learn():
    passed = _passed("gan.discriminator", SigmoidDiscriminator)
    assert passed["images (5, 1, 28, 28) -> logits (5,) float32"]
    assert not all(passed.values())


def _learning_message(model_class):
    result = grade_in_process("gan.discriminator", model_class)
    return next(c.message for c in result.cases if c.case.run is gan.run_d_learns)


def test_a_discriminator_that_ends_in_a_sigmoid_is_told_so():
    assert "ends in a sigmoid" in _learning_message(SigmoidDiscriminator)


@pytest.mark.parametrize("model_class, told", [
    (TanhDiscriminator, "as a tanh's do"), (ReluDiscriminator, "at least 0, as a ReLU's are"),
    (LogSigmoidDiscriminator, "at most 0, as a log-probability's are")], ids=["tanh", "relu", "logsigmoid"])
def test_a_discriminator_whose_outputs_are_bounded_is_told_the_bound_not_that_it_learns_too_slowly(model_class, told):
    message = _learning_message(model_class)
    assert told in message
    assert "too slowly" not in message and "ends in a sigmoid" not in message


class GlobalAverageDiscriminator(PoolingDiscriminator):
    def __init__(self):
        super().__init__(global_average=True)


def test_a_slow_discriminator_without_a_sigmoid_is_not_told_to_remove_one():
    message = _learning_message(GlobalAverageDiscriminator)
    assert "too slowly" in message
    assert "ends in a sigmoid" not in message


class Float64Generator(gan.GeneratorReference):
    """Right images, but in float64 (a .double() left in forward)."""

    def forward(self, z):
        return super().forward(z).double()


def test_a_generator_that_returns_float64_images_fails_the_dtype_check():
    # the dtype is reported as text ("torch.float64"): a wrong string must not compare equal
    result = grade_in_process("gan.generator", Float64Generator)
    assert any("got str 'torch.float64'" in c.message for c in result.cases if not c.passed)


# ------------------------------------------ the exercise's training cell and its checkpoint

def _training_checkpoint(notebook, **student):
    """The checkpoint path that the notebook's training cell gives ``fit``, for the student's
    definitions ``student``; only the cell's ``hparams = ...`` line and the ``checkpoint=``
    argument are evaluated (with stand-ins for the data and the profile), nothing is trained."""
    import ast
    import json
    from types import SimpleNamespace

    import coursekit
    import coursekit.gan
    from coursekit import book

    cells = json.loads((book.ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    (cell,) = [c for c in cells if c["cell_type"] == "code" and "coursekit.train.fit(" in "".join(c["source"])]
    tree = ast.parse("".join(cell["source"]))
    (assign,) = [n for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "hparams"]
    (checkpoint,) = [k.value for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords
                     if k.arg == "checkpoint"]
    train = type("Train", (), {"source": "organamnist", "__len__": lambda self: 512})()
    namespace = dict(coursekit=coursekit, P=SimpleNamespace(epochs=25, batch_size=64), train=train, **student)
    exec(compile(ast.Module([assign], []), notebook, "exec"), namespace)
    return eval(compile(ast.Expression(checkpoint), notebook, "eval"), namespace)


def _student(**changes):
    torch.manual_seed(0)
    code = dict(discriminator_loss=gan.discriminator_loss_reference, generator_loss=gan.generator_loss_reference,
                train_step=step_by_softplus, Generator=gan.GeneratorReference, Discriminator=gan.DiscriminatorReference)
    code.update(changes)
    return dict(code, G=code["Generator"](), D=code["Discriminator"]())


@pytest.mark.parametrize("notebook", ["solutions/05_gan.ipynb", "exercises/05_gan.ipynb"])
def test_changing_the_generator_loss_changes_the_training_checkpoint_name(notebook):
    """A student who fixes a loss and runs the training cell again must train again, not
    reload the finished run of the old code (fit resumes a checkpoint of equal name and hparams)."""
    saturating = _training_checkpoint(notebook, **_student(generator_loss=g_loss_saturating))
    fixed = _training_checkpoint(notebook, **_student())
    assert saturating != fixed
