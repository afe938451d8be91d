"""The rules a student's code runs by (coursekit.grading.rules): the graded object
is the student's own, and the library shortcuts that a task's text forbids raise.
The same rules hold in coursekit.check and in the grader's child process
(end to end: test_grading_cli.py's "shortcut" submission)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit import gan, latent, models, optim
from coursekit.grading import check
from coursekit.grading.cases import call
from coursekit.grading.rules import ForbiddenCall, _resolve, execute_as_student, forbidding, origin_error
from coursekit.grading.tasks import exercise_tasks, exercises
from coursekit.grading.tasks.cnn import CONV2D_FORBIDDEN, PneumoniaCNNReference, conv_output_size_reference
from coursekit.models import autoencoders, mlp, recurrent

from grading_helpers import grade_in_process

ALL_TASKS = [t for ex in exercises() for t in exercise_tasks(ex)]


@pytest.mark.parametrize("task", [t for t in ALL_TASKS if t.forbidden], ids=lambda t: t.id)
def test_every_forbidden_name_exists_in_this_torch(task):
    # a misspelt name would forbid nothing, silently
    assert all(_resolve(name) is not None for name in task.forbidden), task.forbidden


def test_a_forbidden_function_raises_inside_the_block_and_is_restored_after():
    original = F.conv2d
    with forbidding(["torch.nn.functional.conv2d"]):
        with pytest.raises(ForbiddenCall, match="torch.nn.functional.conv2d"):
            F.conv2d(torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 1, 1))
    assert F.conv2d is original


def test_a_name_that_the_students_import_bound_is_caught_and_restored():
    namespace = {"my_conv": F.conv2d}     # from torch.nn.functional import conv2d as my_conv
    with forbidding(["torch.nn.functional.conv2d"], namespace):
        with pytest.raises(ForbiddenCall):
            namespace["my_conv"](torch.zeros(1, 1, 3, 3), torch.zeros(1, 1, 1, 1))
    assert namespace["my_conv"] is F.conv2d


def test_an_inherited_method_is_restored_without_leaving_a_copy_on_the_subclass():
    assert "zero_grad" not in vars(nn.Conv2d)
    with forbidding(["torch.nn.Conv2d.zero_grad"]):
        with pytest.raises(ForbiddenCall):
            nn.Conv2d(1, 1, 1).zero_grad()
    assert "zero_grad" not in vars(nn.Conv2d)
    nn.Conv2d(1, 1, 1).zero_grad()


def test_a_name_missing_from_this_library_version_forbids_nothing_and_breaks_nothing():
    with forbidding(["torch.no_such_function", "no_such_package.f", "torch.nn.NoSuchLayer.forward"]):
        assert torch.ones(2).sum() == 2


def test_the_forbidden_function_itself_handed_in_as_the_answer_is_caught():
    inputs = {"x": torch.zeros(1, 1, 3, 3), "weight": torch.zeros(1, 1, 1, 1)}
    record = execute_as_student(call, F.conv2d, inputs, "conv2d", CONV2D_FORBIDDEN)
    assert not record["ok"] and record["error"].startswith("ForbiddenCall")


def test_an_object_from_coursekit_fails_without_running_and_the_students_own_passes():
    def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
        return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1

    assert "imported from coursekit" in origin_error(conv_output_size_reference, "conv_output_size")
    assert origin_error(conv_output_size, "conv_output_size") is None
    record = execute_as_student(call, conv_output_size_reference, {"size": 5, "kernel_size": 3}, "conv_output_size")
    assert not record["ok"] and "imported from coursekit" in record["error"]


def test_a_class_that_inherits_a_coursekit_model_is_not_the_students_own():
    class PneumoniaCNN(PneumoniaCNNReference):
        pass

    class OwnCNN(nn.Module):
        pass

    assert "inherits from coursekit.grading.tasks.cnn.PneumoniaCNNReference" in origin_error(PneumoniaCNN, "PneumoniaCNN")
    assert origin_error(OwnCNN, "PneumoniaCNN") is None


def test_an_object_that_fails_every_attribute_lookup_is_still_run():
    class Odd:
        def __getattribute__(self, name):
            if name == "__call__":
                return object.__getattribute__(self, name)
            raise RuntimeError("no attributes here")

        def __call__(self, size, kernel_size):
            return size - kernel_size + 1

    record = execute_as_student(call, Odd(), {"size": 5, "kernel_size": 3}, "conv_output_size", CONV2D_FORBIDDEN)
    assert record == {"ok": True, "value": 3}


# Shortcuts that give exactly the right numbers: without the rules they earn full marks,
# so only the rule can stop them.

def conv2d_by_f_conv2d(x, weight, bias=None, stride=1, padding=0):
    return F.conv2d(x, weight, bias, stride=stride, padding=padding)


def conv2d_by_module(x, weight, bias=None, stride=1, padding=0):
    layer = nn.Conv2d(weight.shape[1], weight.shape[0], tuple(weight.shape[2:]), stride=stride, padding=padding,
                      bias=bias is not None).to(x.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
        return layer(x)


def activation_grads_by_autograd(z):
    out = {}
    for key, f in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu)):
        zz = z.detach().clone().requires_grad_()
        f(zz).sum().backward()
        out[key] = zz.grad
    return out


def cross_entropy_by_autograd(logits, y):
    z = logits.detach().clone().requires_grad_()
    loss = F.cross_entropy(z, y)
    (dz,) = torch.autograd.grad(loss, z)
    return loss.detach(), dz


def activation_grads_by_torch_func(z):
    return {key: torch.vmap(torch.func.grad(f))(z)
            for key, f in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("relu", torch.relu))}


def mlp_backward_by_autograd(x, y, W1, b1, W2, b2):
    params = [p.detach().clone().requires_grad_() for p in (W1, b1, W2, b2)]
    logits = torch.relu(x @ params[0].T + params[1]) @ params[2].T + params[3]
    F.cross_entropy(logits, y).backward()
    return dict(zip(("W1", "b1", "W2", "b2"), (p.grad for p in params)))


def adam_step_by_torch_optim(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p = param.detach().clone().requires_grad_()
    opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
    p.grad = grad.clone()
    opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
    opt.step()
    return p.detach(), opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]


def rnn_cell_by_torch(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.rnn_tanh_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh)


def lstm_cell_by_module(x, h, c, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    cell = nn.LSTMCell(x.shape[1], h.shape[1], bias=bias_ih is not None).to(x.dtype)
    weights = {"weight_ih": weight_ih, "weight_hh": weight_hh, "bias_ih": bias_ih, "bias_hh": bias_hh}
    cell.load_state_dict({k: v for k, v in weights.items() if v is not None})
    with torch.no_grad():
        return cell(x, (h, c))


def gru_cell_by_torch(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return torch.gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh)


# A notebook function that only calls the course's own answer is the answer imported under
# another name: the rule that refuses an import from coursekit must refuse this too.

def activation_grads_by_coursekit(z):
    return {name: mlp.activation_grad(name, z) for name in ("sigmoid", "tanh", "relu")}


def adam_step_by_coursekit(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return optim.adam_step(param, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


def inverse_time_decay_by_coursekit(step, lr0, decay_rate, decay_steps=1):
    return optim.inverse_time(step / decay_steps, lr0, decay_rate)


def gru_cell_by_coursekit(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    return recurrent.gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh)


def reparameterize_by_coursekit(mu, logvar, eps):
    return autoencoders.reparameterize(mu, logvar, eps)


def kl_divergence_by_coursekit(mu, logvar):
    return autoencoders.kl_divergence(mu, logvar)


def vae_loss_by_coursekit(*args, **kwargs):
    return autoencoders.vae_loss(*args, **kwargs)


def discriminator_loss_by_coursekit(real_logits, fake_logits, smooth=0.0):
    return gan.d_loss(real_logits, fake_logits, smooth)


def generator_loss_by_coursekit(fake_logits):
    return gan.g_loss(fake_logits)


def optimal_discriminator_by_coursekit(p_data, p_g):
    return gan.optimal_discriminator(p_data, p_g)


def vae_loss_by_coursekit_re_export(*args, **kwargs):
    return latent.vae_loss(*args, **kwargs)             # the same function, bound in coursekit.latent too


class CNNByCoursekit(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = models.SmallCNN(1, 2, width=8)      # re-exported from coursekit.models.cnn

    def forward(self, x):
        return self.net(x)


SHORTCUTS = [
    ("ae.vae_loss", vae_loss_by_coursekit_re_export), ("cnn.model", CNNByCoursekit),
    ("nn.activations", activation_grads_by_coursekit), ("nn.adam_step", adam_step_by_coursekit),
    ("nn.lr_schedule", inverse_time_decay_by_coursekit), ("rnn.gru_cell", gru_cell_by_coursekit),
    ("ae.reparameterize", reparameterize_by_coursekit), ("ae.kl_divergence", kl_divergence_by_coursekit),
    ("ae.vae_loss", vae_loss_by_coursekit), ("gan.d_loss", discriminator_loss_by_coursekit),
    ("gan.g_loss", generator_loss_by_coursekit), ("gan.optimal_d", optimal_discriminator_by_coursekit),
    ("cnn.conv2d", conv2d_by_f_conv2d), ("cnn.conv2d", conv2d_by_module),
    ("nn.activations", activation_grads_by_autograd), ("nn.activations", activation_grads_by_torch_func),
    ("nn.cross_entropy", cross_entropy_by_autograd),
    ("nn.mlp_backward", mlp_backward_by_autograd), ("nn.adam_step", adam_step_by_torch_optim),
    ("rnn.rnn_cell", rnn_cell_by_torch), ("rnn.lstm_cell", lstm_cell_by_module), ("rnn.gru_cell", gru_cell_by_torch),
]


@pytest.mark.parametrize("task_id, shortcut", SHORTCUTS, ids=lambda v: getattr(v, "__name__", v))
def test_a_forbidden_shortcut_passes_the_cases_but_not_the_rules(task_id, shortcut):
    free = grade_in_process(task_id, shortcut)
    assert free.score() == pytest.approx(free.task.points), [c.message for c in free.cases]
    ruled = grade_in_process(task_id, shortcut, as_student=True)
    assert ruled.score() == 0
    assert all("asks you not to use" in c.message for c in ruled.cases)


def test_check_names_the_forbidden_call_without_the_maths_hint(capsys):
    result = check("cnn.conv2d", conv2d_by_f_conv2d)
    out = capsys.readouterr().out
    assert result.passed == 0 and "asks you not to use torch.nn.functional.conv2d" in out
    assert "hint:" not in out
    assert F.conv2d is torch.conv2d      # restored after the check


def test_check_refuses_the_courses_own_function_in_one_line(capsys):
    result = check("cnn.output_size", conv_output_size_reference)
    out = capsys.readouterr().out
    assert result.passed == 0 and out.count("FAIL") == 1 and "imported from coursekit" in out
