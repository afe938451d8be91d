"""coursekit.models.recurrent: from-scratch cells equal torch's, BPTT measurements,
slice-sequence models and the gate explorer."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.models import recurrent as R

TOL = 1e-10   # float64: the from-scratch cells must equal torch's to this (the chapter's claim)


def _module(cls, input_size=5, hidden_size=7, bias=True, seed=0):
    torch.manual_seed(seed)
    return cls(input_size, hidden_size, bias=bias, batch_first=True).double()


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU], ids=lambda c: c.__name__)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_scratch_cells_match_torch_modules_in_float64(cls, bias):
    module = _module(cls, bias=bias)
    x = torch.randn(3, 11, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out, state = module(x)
    mine, my_state = R.scratch_forward(module, x)
    assert (mine - out).abs().max().item() < TOL
    if cls is nn.LSTM:
        assert (my_state[0] - state[0][0]).abs().max().item() < TOL
        assert (my_state[1] - state[1][0]).abs().max().item() < TOL
    else:
        assert (my_state - state[0]).abs().max().item() < TOL


def test_scratch_forward_continues_from_a_given_state():
    module = _module(nn.LSTM)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 4, 5, dtype=torch.float64, generator=gen)
    h0, c0 = (torch.randn(2, 7, dtype=torch.float64, generator=gen) for _ in range(2))
    out, _ = module(x, (h0[None], c0[None]))
    mine, _ = R.scratch_forward(module, x, (h0, c0))
    assert (mine - out).abs().max().item() < TOL


def test_gru_cell_matches_torch_gru_cell_with_large_weights():
    gen = torch.Generator().manual_seed(3)
    cell = nn.GRUCell(4, 6).double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(2 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x, h = torch.randn(5, 4, dtype=torch.float64, generator=gen), torch.randn(5, 6, dtype=torch.float64, generator=gen)
    mine = R.gru_cell(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    assert (mine - cell(x, h)).abs().max().item() < TOL


def test_cho_gru_differs_from_torch_gru_with_the_same_weights():
    module = _module(nn.GRU)
    gen = torch.Generator().manual_seed(4)
    x, h = torch.randn(8, 5, dtype=torch.float64, generator=gen), torch.randn(8, 7, dtype=torch.float64, generator=gen)
    w = R.cell_weights(module)
    assert (R.gru_cell_cho(x, h, **w) - R.gru_cell(x, h, **w)).abs().max().item() > 1e-3


def test_cho_gru_equals_torch_gru_when_the_hidden_bias_is_zero_and_reset_is_one():
    """The two variants differ only by where r enters: with r = 1 they coincide."""
    module = _module(nn.GRU)
    w = R.cell_weights(module)
    hidden = module.hidden_size
    with torch.no_grad():
        w["bias_ih"][:hidden] = 50.0          # r = sigmoid(50 + ...) = 1 in float64
    gen = torch.Generator().manual_seed(5)
    x, h = torch.randn(4, 5, dtype=torch.float64, generator=gen), torch.randn(4, 7, dtype=torch.float64, generator=gen)
    assert (R.gru_cell_cho(x, h, **w) - R.gru_cell(x, h, **w)).abs().max().item() < 1e-12


def test_gate_dicts_hold_gates_in_their_ranges():
    module = _module(nn.LSTM)
    x, h = torch.randn(3, 5, dtype=torch.float64), torch.zeros(3, 7, dtype=torch.float64)
    s = R.lstm_gates(x, h, h, **R.cell_weights(module))
    assert all(((s[k] > 0) & (s[k] < 1)).all() for k in "ifo")
    assert (s["g"].abs() < 1).all()
    g = R.gru_gates(x, h, **R.cell_weights(_module(nn.GRU)))
    assert all(((g[k] > 0) & (g[k] < 1)).all() for k in "rz")


def test_scratch_forward_refuses_modules_it_cannot_mirror():
    with pytest.raises(ValueError, match="num_layers=1"):
        R.scratch_forward(nn.GRU(3, 4, num_layers=2, batch_first=True), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="batch_first"):
        R.scratch_forward(nn.GRU(3, 4), torch.zeros(1, 2, 3))
    with pytest.raises(TypeError, match="RNN, LSTM or GRU"):
        R.scratch_forward(nn.Linear(3, 4), torch.zeros(1, 2, 3))


@pytest.mark.parametrize("cls", [nn.RNN, nn.GRU], ids=lambda c: c.__name__)
def test_scratch_forward_refuses_torchs_layer_axis_on_the_state_and_says_h0_0(cls):
    """GRU failed on "not enough values to unpack"; RNN returned outputs (1, 4, 2, 7), not (2, 4, 7)."""
    module = _module(cls)
    x = torch.randn(2, 4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"\(N, H\) = \(2, 7\).*got shape \(1, 2, 7\).*h0\[0\]"):
        R.scratch_forward(module, x, torch.zeros(1, 2, 7, dtype=torch.float64))


def test_scratch_forward_refuses_torchs_layer_axis_on_the_lstm_state():
    module = _module(nn.LSTM)
    x = torch.randn(2, 4, 5, dtype=torch.float64)
    h0 = torch.zeros(1, 2, 7, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"\(N, H\) = \(2, 7\).*got shape \(1, 2, 7\).*\(h0\[0\], c0\[0\]\)"):
        R.scratch_forward(module, x, (h0, h0))


def test_scratch_forward_refuses_a_single_tensor_as_the_lstm_state():
    """A (2, 7) state for 2 sequences was unpacked into h = state[0] and c = state[1], both (7,)."""
    module = _module(nn.LSTM)
    x = torch.randn(2, 4, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"an LSTM's state is a pair \(h0, c0\)"):
        R.scratch_forward(module, x, torch.zeros(2, 7, dtype=torch.float64))


# ---------------------------------------------------------------- BPTT


def test_jacobian_norm_matches_autograd_jacobian():
    module = _module(nn.GRU, input_size=3, hidden_size=4)
    x = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    norms = R.input_jacobian_norms(module, x, [1, 3, 6])
    for t, got in zip([1, 3, 6], norms):
        jac = torch.autograd.functional.jacobian(lambda s: module(s[None])[0][0, -1], x[:t])   # (H, t, D)
        assert got == pytest.approx(float(jac[:, 0].norm()), rel=1e-10)


def test_jacobian_norms_leave_no_gradients_on_the_module():
    module = _module(nn.GRU, input_size=3, hidden_size=4)
    R.input_jacobian_norms(module, torch.randn(5, 3, dtype=torch.float64), [2, 5])
    assert all(p.grad is None for p in module.parameters())


@pytest.mark.parametrize("norms", [lambda m, x: R.input_jacobian_norms(m, x, [1, 5, 10]),
                                   lambda m, x: R.input_jacobian_norm(m, x)], ids=["norms", "norm"])
def test_jacobian_norms_refuse_a_module_that_is_not_batch_first(norms):
    """nn.GRU(3, 5) read the copies of the sequence as time steps: norms of exactly 0, no error."""
    with pytest.raises(ValueError, match=r"batch_first=True, bidirectional=False; got batch_first=False"):
        norms(nn.GRU(3, 5), torch.randn(10, 3))


def test_jacobian_norms_refuse_a_bidirectional_module():
    with pytest.raises(ValueError, match=r"bidirectional=False; got batch_first=True, bidirectional=True"):
        R.input_jacobian_norms(nn.GRU(3, 5, batch_first=True, bidirectional=True), torch.randn(10, 3), [1, 5])


def test_jacobian_norms_refuse_an_lstm_with_a_projection():
    with pytest.raises(ValueError, match=r"without a projection \(proj_size=0\); got proj_size=2"):
        R.input_jacobian_norms(nn.LSTM(3, 5, batch_first=True, proj_size=2), torch.randn(10, 3), [1, 5])


def test_jacobian_norms_refuse_a_module_that_is_not_recurrent():
    with pytest.raises(TypeError, match="torch.nn.RNN, LSTM or GRU; got Linear"):
        R.input_jacobian_norms(nn.Linear(3, 5), torch.randn(10, 3), [1, 5])


def test_rnn_gradient_to_the_first_input_vanishes_with_length():
    res = R.vanishing_gradients([2, 32], kinds=("rnn",), hidden_size=8, input_size=4, seeds=range(2))
    assert res["rnn"].shape == (2, 2)
    assert (res["rnn"][1] < 1e-3 * res["rnn"][0]).all()


def test_carry_bias_keeps_lstm_and_gru_gradients_alive_but_not_the_rnns():
    kw = dict(hidden_size=8, input_size=4, seeds=range(2))
    plain = R.vanishing_gradients([32], **kw)
    carried = R.vanishing_gradients([32], carry_bias=3.0, **kw)
    assert np.array_equal(plain["rnn"], carried["rnn"])
    for kind in ("lstm", "gru"):
        assert carried[kind].mean() > 100 * plain[kind].mean()


def test_vanishing_gradients_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        R.vanishing_gradients([2], kinds=("transformer",), seeds=[0])


# ---------------------------------------------------------------- volumes


def test_volume_to_sequence_puts_slices_first_and_keeps_channels():
    v = torch.rand(2, 3, 4, 5, 6)
    seq = R.volume_to_sequence(v)
    assert seq.shape == (2, 4, 3, 5, 6)
    assert torch.equal(seq[1, 2], v[1, :, 2])


def test_volume_to_sequence_rejects_2d_images():
    with pytest.raises(ValueError, match=r"\(N, C, D, H, W\)"):
        R.volume_to_sequence(torch.rand(2, 1, 28, 28))


@pytest.mark.parametrize("make", [lambda: R.SliceRNN("gru", width=4, hidden_size=8),
                                  lambda: R.SliceRNN("lstm", width=4, hidden_size=8),
                                  lambda: R.MiddleSliceCNN(width=4), lambda: R.SmallCNN3D(width=4)],
                         ids=["gru", "lstm", "cnn2d", "cnn3d"])
def test_volume_models_map_volumes_to_logits(make):
    model = make().eval()
    out = model(torch.rand(3, 1, 28, 28, 28))
    assert out.shape == (3, 2) and out.dtype == torch.float32


@pytest.mark.parametrize("make", [lambda: R.MiddleSliceCNN(width=4), lambda: R.SmallCNN3D(width=4)],
                         ids=["cnn2d", "cnn3d"])
def test_volume_cnns_refuse_uint8_volumes_and_say_divide_by_255(make):
    x = (255 * torch.rand(2, 1, 8, 8, 8)).to(torch.uint8)
    with pytest.raises(TypeError, match=r"float32 in \[0, 1\]\); got dtype torch\.uint8\. Divide uint8 images by 255"):
        make()(x)


def test_slice_rnn_sets_the_carry_gate_bias():
    torch.manual_seed(0)
    plain = R.SliceRNN("gru", width=4, hidden_size=8, carry_bias=0.0)
    torch.manual_seed(0)
    carried = R.SliceRNN("gru", width=4, hidden_size=8, carry_bias=1.5)
    diff = carried.rnn.bias_ih_l0 - plain.rnn.bias_ih_l0
    assert torch.allclose(diff[8:16], torch.full((8,), 1.5)) and diff[:8].abs().max() == 0 and diff[16:].abs().max() == 0


def test_middle_slice_cnn_sees_only_the_middle_slice():
    model = R.MiddleSliceCNN(width=4).eval()
    v = torch.rand(2, 1, 28, 28, 28)
    w = v.clone()
    w[:, :, :14] = 0
    w[:, :, 15:] = 0
    assert torch.allclose(model(v), model(w))


def _weights(models):
    return {f"{k}.{n}": t.clone() for k, m in models.items() for n, t in m.state_dict().items()}


def test_chapter_models_are_the_slice_gru_and_both_cnn_baselines():
    models = R.volume_models(width=4, hidden_size=8, seed=0)
    assert list(models) == list(R.VOLUME_MODELS)
    assert isinstance(models["seq"], R.SliceRNN) and models["seq"].kind == "gru"
    assert isinstance(models["cnn2d"], R.MiddleSliceCNN) and isinstance(models["cnn3d"], R.SmallCNN3D)
    assert models["seq"].rnn.hidden_size == 8


def test_chapter_models_start_from_weights_that_depend_on_the_seed_alone():
    torch.manual_seed(1)
    first = _weights(R.volume_models(width=4, hidden_size=8, seed=3))
    torch.rand(1000)                                   # whatever a notebook ran before
    R.SliceRNN("gru", width=4, hidden_size=8)
    again = _weights(R.volume_models(width=4, hidden_size=8, seed=3))
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    other = _weights(R.volume_models(width=4, hidden_size=8, seed=4))
    assert not torch.equal(first["cnn3d.head.3.weight"], other["cnn3d.head.3.weight"])


def test_building_the_chapter_models_leaves_the_callers_random_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(5)
    torch.manual_seed(7)
    R.volume_models(width=4, hidden_size=8, seed=0)
    assert torch.equal(torch.rand(5), expected)


def test_chapter_models_refuse_a_seed_that_cannot_be_repeated():
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        R.volume_models(width=4, hidden_size=8, seed=None)


def test_slice_rnn_rejects_2d_images():
    with pytest.raises(ValueError, match=r"\(N, 1, D, H, W\)"):
        R.SliceRNN(width=4, hidden_size=8)(torch.rand(2, 1, 28, 28))


# ---------------------------------------------------------------- widget


@pytest.mark.parametrize("kind, gates", [("gru", "rznhp"), ("lstm", "ifgochp")])
def test_gate_trace_recomputes_the_models_own_prediction(kind, gates):
    torch.manual_seed(0)
    model = R.SliceRNN(kind, width=4, hidden_size=8).eval()
    volume = torch.rand(1, 6, 28, 28)
    trace = R.gate_trace(model, volume)
    assert set(trace) == set(gates)
    assert trace["h"].shape == (6, 8) and trace["p"].shape == (6,)
    with torch.no_grad():
        p = model(volume[None]).softmax(1)[0, 1].item()
    assert trace["p"][-1] == pytest.approx(p, abs=1e-5)


def _frame(t=2, depth=6, hidden=8):
    """A gate frame of a random volume (1, depth, 5, 7) and gate z (depth, hidden) in [0.1, 0.9]:
    (figure, slice axes, heat-map axes, volume, z)."""
    volume = torch.rand(1, depth, 5, 7, generator=torch.Generator().manual_seed(0))
    z = np.random.default_rng(0).uniform(0.1, 0.9, (depth, hidden)).astype(np.float32)
    fig = R.gate_frame(volume, {"z": z}, t=t, label="update gate z")
    (heat,) = [ax for ax in fig.axes if ax.get_xlabel() == "slice"]
    (shown_slice,) = [ax for ax in fig.axes if ax.get_title() == f"slice {t}"]
    return fig, shown_slice, heat, volume, z


def test_gate_frame_shows_slice_t_beside_the_gates_of_the_slices_read_so_far():
    import matplotlib.pyplot as plt
    fig, shown_slice, heat, volume, z = _frame(t=2)
    assert np.allclose(shown_slice.images[0].get_array(), volume[0, 2].numpy())
    assert heat.get_ylabel() == "hidden unit"
    drawn = heat.images[0].get_array()                      # (hidden units, slices)
    assert drawn.shape == (8, 6) and np.allclose(drawn[:, :3], z[:3].T)
    plt.close(fig)


def test_gate_frame_draws_the_unread_slices_in_a_colour_no_gate_value_has():
    # A gate at 0 means "overwrite the state"; a slice the recurrence has not read has no gate
    # value at all, and must not look like one (it was drawn as 0, black on the grey scale).
    import matplotlib.pyplot as plt
    fig, _, heat, _, _ = _frame(t=2)
    image = heat.images[0]
    unread = image.to_rgba(image.get_array())[:, 3:]        # slices 3, 4, 5
    scale = image.cmap(np.linspace(0, 1, image.cmap.N))     # every colour a gate value can get
    assert np.abs(unread[..., None, :3] - scale[:, :3]).max(axis=-1).min() > 0.1
    assert "not read yet" in [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    plt.close(fig)


def test_gate_frame_scales_the_gates_from_0_to_1_in_cividis_with_a_labelled_colour_bar():
    import matplotlib.pyplot as plt
    fig, _, heat, _, _ = _frame(t=4)
    image = heat.images[0]
    assert image.cmap.name.startswith("cividis") and (image.norm.vmin, image.norm.vmax) == (0, 1)
    assert image.colorbar is not None and image.colorbar.ax.get_ylabel() == "update gate z"
    plt.close(fig)


def test_gate_frame_rejects_a_step_out_of_range_and_unbounded_gates():
    volume = torch.rand(1, 4, 5, 5)
    trace = {"z": np.full((4, 3), 0.5, np.float32), "h": np.full((4, 3), -0.5, np.float32)}
    with pytest.raises(ValueError, match=r"t must be an int in \[0, 3\]"):
        R.gate_frame(volume, trace, t=4)
    with pytest.raises(ValueError, match="outside"):
        R.gate_frame(volume, trace, t=0, gate="h")


def test_plot_gate_trace_draws_the_slices_and_a_labelled_heat_map_marking_them():
    import matplotlib.pyplot as plt
    depth, hidden = 6, 8
    trace = {"z": np.random.default_rng(0).uniform(0, 1, (depth, hidden)).astype(np.float32)}
    fig = R.plot_gate_trace(torch.rand(1, depth, 5, 7), trace, gate="z", slices=[1, 4], label="update gate z")
    heat = [ax for ax in fig.axes if ax.get_xlabel() == "slice t"]
    assert len(heat) == 1 and heat[0].get_ylabel() == "hidden unit"
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["slice 1", "slice 4"]
    assert sorted(line.get_xdata()[0] for line in heat[0].lines) == [1, 4]
    assert any(ax.get_ylabel() == "update gate z" for ax in fig.axes)   # the colour bar
    assert heat[0].images[0].get_array().shape == (hidden, depth)
    plt.close(fig)


def test_plot_gate_trace_rejects_a_slice_outside_the_volume():
    trace = {"z": np.full((4, 3), 0.5, np.float32)}
    with pytest.raises(ValueError, match=r"t must be an int in \[0, 3\]"):
        R.plot_gate_trace(torch.rand(1, 4, 5, 5), trace, slices=[0, 4])


# ---------------------------------------------------------------- real data


def _adrenal_available():
    root = os.environ.get("COURSEKIT_DATA")
    return bool(root) and (Path(root) / "adrenalmnist3d.npz").is_file()


@pytest.mark.realdata
@pytest.mark.skipif(not _adrenal_available(), reason="needs COURSEKIT_DATA with adrenalmnist3d.npz")
def test_adrenal_volumes_become_28_slices_of_28_by_28():
    import coursekit as ck

    data = ck.data.load_medmnist("adrenalmnist3d", "test").subset(4)
    seq = R.volume_to_sequence(data.images)
    assert data.source == "file" and seq.shape == (4, 28, 1, 28, 28)
    trace = R.gate_trace(R.SliceRNN(width=4, hidden_size=8).eval(), data.images[0])
    import matplotlib.pyplot as plt
    fig = R.gate_frame(data.images[0], trace, t=14)
    (heat,) = [ax for ax in fig.axes if ax.get_xlabel() == "slice"]
    assert heat.images[0].get_array().shape == (8, 28)
    plt.close(fig)


def test_vanishing_gradients_gives_each_seed_its_own_initial_weights(monkeypatch):
    """Each seed is a fresh initialisation, not only a fresh input sequence: the spread over seeds
    is the spread over networks."""
    made = []
    make = R._make
    monkeypatch.setattr(R, "_make", lambda *a, **k: made.append(make(*a, **k)) or made[-1])
    R.vanishing_gradients([2], kinds=("gru",), hidden_size=4, input_size=3, seeds=[0, 1])
    first, second = (dict(m.named_parameters())["weight_hh_l0"] for m in made)
    assert not torch.equal(first, second)
