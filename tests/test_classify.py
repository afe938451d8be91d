"""coursekit.classify: the shared classification recipe and its pixel baseline."""
import numpy as np
import pytest
import torch

from coursekit import classify, data, models, optim


def test_random_shift_moves_content_without_changing_shape_and_repeats_with_the_seed():
    x = torch.zeros(4, 1, 9, 9)
    x[:, :, 4, 4] = 1
    a, b = classify.random_shift(2, seed=3)(x), classify.random_shift(2, seed=3)(x)
    assert a.shape == x.shape and torch.equal(a, b)
    assert (a.sum((1, 2, 3)) == 1).all()            # the bright pixel stays inside (shift <= 2)
    assert not torch.equal(a, x)                     # and it does move (seeded, so this is fixed)


def test_random_shift_restored_from_its_state_draws_what_the_original_draws_next():
    x = torch.rand(8, 1, 9, 9)
    first = classify.random_shift(2, seed=3)
    first(x)                                         # one batch drawn, as in a finished epoch
    state = first.get_state()
    restored = classify.random_shift(2, seed=3)      # as in a fresh process that resumes
    restored.set_state(state)
    assert torch.equal(restored(x), first(x))


def test_random_shift_state_from_a_device_this_machine_lacks_is_skipped(monkeypatch):
    # a checkpoint written on a Mac (MPS) or a two-GPU machine, resumed on a CPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu_state = torch.Generator().manual_seed(5).get_state()
    shift = classify.random_shift(2, seed=3)
    shift.set_state({"mps:0": cpu_state, "cuda:1": cpu_state, "cpu": cpu_state})
    assert set(shift.get_state()) == {"cpu"} and torch.equal(shift.get_state()["cpu"], cpu_state)


class _DiesAfter(torch.nn.Module):
    """A SmallCNN whose training forward raises KeyboardInterrupt after ``calls`` batches
    (``None``: never), as a Colab session that dies in the middle of an epoch."""

    def __init__(self, calls=None):
        super().__init__()
        torch.manual_seed(0)
        self.net, self.calls, self.left = models.SmallCNN(1, 2, width=4), calls, calls

    def forward(self, x):
        if self.training and self.calls is not None:
            if self.left == 0:
                raise KeyboardInterrupt("the session died")
            self.left -= 1
        return self.net(x)


def test_a_run_with_random_shifts_resumed_after_an_interruption_ends_as_an_uninterrupted_one(phantom_sets, tmp_path):
    train, val = phantom_sets[0].subset(128, seed=0), phantom_sets[1].subset(64, seed=0)

    def go(model, ckpt):
        return classify.train_classifier(model, train, val, epochs=3, batch_size=32, max_shift=2,
                                         checkpoint=ckpt, device="cpu", progress=False, verbose=False)

    whole = _DiesAfter()
    whole_hist = go(whole, tmp_path / "whole.pt")
    with pytest.raises(KeyboardInterrupt):
        go(_DiesAfter(calls=6), tmp_path / "cut.pt")    # 4 batches per epoch: dies in epoch 2
    resumed = _DiesAfter()
    resumed_hist = go(resumed, tmp_path / "cut.pt")
    assert resumed_hist["train_loss"] == whole_hist["train_loss"]
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_pixel_logistic_regression_beats_chance_on_learnable_phantoms(phantom_sets):
    train, test = phantom_sets
    res = classify.pixel_logistic_regression(train, test)
    assert res["scores"].shape == (len(test), 2)
    assert res["auc"] > 0.7


def test_choose_logistic_c_takes_the_strength_with_the_best_validation_auc(phantom_sets):
    train, val = phantom_sets
    best, val_auc = classify.choose_logistic_c(train, val, Cs=[1.0, 1e-4, 1e-2])
    assert sorted(val_auc) == [1e-4, 1e-2, 1.0]
    for c, a in val_auc.items():   # each score is the baseline fitted with that C, scored on val
        assert a == pytest.approx(classify.pixel_logistic_regression(train, val, C=c)["auc"])
    assert val_auc[best] == max(val_auc.values())


def test_choose_logistic_c_never_looks_at_anything_but_the_two_sets_it_is_given(phantom_sets, monkeypatch):
    train, val = phantom_sets
    seen = []
    fit = classify.pixel_logistic_regression
    monkeypatch.setattr(classify, "pixel_logistic_regression",
                        lambda tr, te, C: seen.append((tr is train, te is val)) or fit(tr, te, C=C))
    classify.choose_logistic_c(train, val, Cs=[0.1, 1.0])
    assert seen == [(True, True), (True, True)]


def test_choose_logistic_c_breaks_a_tie_towards_the_stronger_penalty(phantom_sets, monkeypatch):
    train, val = phantom_sets
    monkeypatch.setattr(classify, "pixel_logistic_regression", lambda tr, te, C: {"auc": 0.8})
    assert classify.choose_logistic_c(train, val, Cs=[1.0, 0.1, 0.01])[0] == 0.01


@pytest.mark.parametrize("Cs", [[], [0.0, 1.0], [-1.0], [float("nan")], 0.1, [True], ["0.1"]])
def test_choose_logistic_c_refuses_strengths_that_are_not_positive_numbers(phantom_sets, Cs):
    train, val = phantom_sets
    with pytest.raises(ValueError, match="Cs must be a non-empty list of positive numbers"):
        classify.choose_logistic_c(train, val, Cs=Cs)


def test_train_classifier_learns_and_keeps_one_checkpoint_per_configuration(phantom_sets, tmp_path):
    train, test = phantom_sets
    torch.manual_seed(0)
    model = models.SmallCNN(1, 2, width=8)
    hist = classify.train_classifier(model, train, test, epochs=3, checkpoint=tmp_path / "cnn.pt",
                                     device="cpu", progress=False, verbose=False)
    assert hist["epoch"] == [1, 2, 3] and max(hist["val_auc"]) > 0.6
    classify.train_classifier(models.SmallCNN(1, 2, width=8), train, test, epochs=1,
                              checkpoint=tmp_path / "cnn.pt", device="cpu", progress=False, verbose=False)
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


def test_the_majority_class_rule_answers_the_most_frequent_training_class_for_every_image(phantom_sets):
    from dataclasses import replace
    train, test = phantom_sets
    skewed = replace(train, labels=torch.cat([torch.ones(len(train) - 10, dtype=torch.int64),
                                              torch.zeros(10, dtype=torch.int64)]))
    rule = classify.majority_class(skewed, test)
    y = test.labels.numpy()
    assert rule["label"] == 1
    assert rule["scores"].shape == (len(test), 2) and np.allclose(rule["scores"], [10 / len(train), 1 - 10 / len(train)])
    assert rule["acc"] == (y == 1).mean()
    assert rule["auc"] == 0.5                                   # every image ties


def test_train_classifier_rejects_multi_label_sets(phantom_sets):
    train, _ = phantom_sets
    from dataclasses import replace
    multi = replace(train, labels=torch.zeros(len(train), 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="single-label"):
        classify.train_classifier(models.SmallCNN(1, 2, width=8), multi, multi, epochs=1, device="cpu")


def test_checkpoints_of_phantom_and_real_runs_never_mix(phantom_sets, tmp_path):
    from dataclasses import replace
    train, test = phantom_sets
    for source in ("fallback", "file"):
        classify.train_classifier(models.SmallCNN(1, 2, width=8), replace(train, source=source), test, epochs=1,
                                  checkpoint=tmp_path / "cnn.pt", device="cpu", progress=False, verbose=False)
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


def test_random_shift_rejects_volumes():
    with pytest.raises(ValueError, match="max_shift=0"):
        classify.random_shift(2)(torch.zeros(2, 1, 4, 8, 8))


def test_runs_on_different_training_images_of_the_same_size_get_different_checkpoints(phantom_sets, tmp_path):
    from dataclasses import replace
    train, test = phantom_sets
    small = train.subset(64, seed=0)
    for other in (small, replace(small, images=small.images.flip(-1))):
        classify.train_classifier(models.SmallCNN(1, 2, width=8), other, test, epochs=1,
                                  checkpoint=tmp_path / "cnn.pt", device="cpu", progress=False, verbose=False)
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


def test_a_model_changed_only_in_its_dropout_never_resumes_the_other_models_run(phantom_sets, tmp_path):
    train, test = phantom_sets
    small = train.subset(64, seed=0)
    for dropout in (0.2, 0.5):   # same class, same number of parameters
        hist = classify.train_classifier(models.SmallCNN(1, 2, width=4, dropout=dropout), small, test.subset(64),
                                         epochs=1, checkpoint=tmp_path / "cnn.pt", device="cpu", progress=False,
                                         verbose=False)
        assert hist["epoch"] == [1]
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


def test_a_run_with_gradient_clipping_never_resumes_the_unclipped_run(phantom_sets, tmp_path):
    # fit's clip_grad_norm reached the checkpoint's name nowhere: the clipped run resumed the other
    train, test = phantom_sets
    small = train.subset(64, seed=0)
    for clip in (None, 1.0):
        hist = classify.train_classifier(models.SmallCNN(1, 2, width=4), small, test.subset(64), epochs=1,
                                         clip_grad_norm=clip, checkpoint=tmp_path / "cnn.pt", device="cpu",
                                         progress=False, verbose=False)
        assert hist["epoch"] == [1]
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


@pytest.mark.parametrize("make_scheduler", [
    lambda opt, k: optim.ScheduledLR(opt, lambda t: 0.1 / (1 + k * t)),         # a learner's own schedule, edited
    lambda opt, k: torch.optim.lr_scheduler.StepLR(opt, step_size=int(k * 10), gamma=0.5),
], ids=["own schedule function", "StepLR step_size"])
def test_a_run_with_another_schedule_never_resumes_the_first_schedules_run(phantom_sets, tmp_path, make_scheduler):
    # only the scheduler's class was in the fingerprint: an edited schedule resumed the old run silently
    train, test = phantom_sets
    small = train.subset(64, seed=0)
    for k in (0.1, 0.2):
        model = models.SmallCNN(1, 2, width=4)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        hist = classify.train_classifier(model, small, test.subset(64), epochs=2, optimizer=opt,
                                         scheduler=make_scheduler(opt, k), checkpoint=tmp_path / "cnn.pt",
                                         device="cpu", progress=False, verbose=False)
        assert hist["epoch"] == [1, 2]
    assert len(list(tmp_path.glob("cnn-*.pt"))) == 2


def test_class_weights_change_the_training_loss(phantom_sets):
    train, test = phantom_sets
    small = train.subset(64, seed=0)

    def first_loss(class_weight):
        torch.manual_seed(0)
        hist = classify.train_classifier(models.SmallCNN(1, 2, width=8), small, test.subset(64), epochs=1,
                                         class_weight=class_weight, max_shift=0, batch_size=64,
                                         device="cpu", progress=False, verbose=False)
        return hist["train_loss"][0]

    assert first_loss(None) == pytest.approx(first_loss(torch.tensor([1.0, 1.0])))
    assert first_loss(None) != pytest.approx(first_loss(torch.tensor([1.0, 20.0])))


def test_without_model_selection_the_last_epoch_is_kept(phantom_sets):
    train, test = phantom_sets
    torch.manual_seed(0)
    model = models.SmallCNN(1, 2, width=8)
    hist = classify.train_classifier(model, train.subset(128), test.subset(128), epochs=2, select_best=False,
                                     device="cpu", progress=False, verbose=False)
    assert hist.best_epoch is None
    assert {"train_loss", "val_loss", "val_auc", "val_acc", "lr"} <= set(hist)


def test_your_own_optimizer_comes_with_its_own_learning_rate(phantom_sets):
    train, test = phantom_sets
    model = models.SmallCNN(1, 2, width=8)
    with pytest.raises(ValueError, match="set them on it"):
        classify.train_classifier(model, train, test, epochs=1, lr=0.1, device="cpu",
                                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="pass optimizer="):
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        classify.train_classifier(model, train, test, epochs=1, device="cpu",
                                  scheduler=torch.optim.lr_scheduler.StepLR(opt, 1))


def _three_classes(labels):
    """A small 3-class set (BloodMNIST's flag, random 4x4 images) with the given labels."""
    labels = torch.as_tensor(labels)
    return data.MedMNIST(images=torch.rand(len(labels), 1, 4, 4), labels=labels, flag="bloodmnist", split="train",
                         size=28, task="multi-class", label_names=["a", "b", "c"], n_classes=3)


def test_pixel_logistic_regression_refuses_training_labels_that_lack_a_class():
    """With class 1 absent, scikit-learn returns 2 columns that no longer match the classes,
    and an AUC on a test set without class 1 read 1.0 with no complaint."""
    train = _three_classes([0, 2] * 10)
    with pytest.raises(ValueError, match=r"training labels lack class 1 \(b\)"):
        classify.pixel_logistic_regression(train, _three_classes([0, 2, 0, 2]))


def test_pixel_logistic_regression_refuses_multi_label_sets():
    """ChestMNIST's (N, 14) labels reached scikit-learn: "y should be a 1d array"."""
    multi = data.MedMNIST(images=torch.rand(20, 1, 4, 4), labels=torch.randint(0, 2, (20, 3)), flag="chestmnist",
                          split="train", size=28, task="multi-label, binary-class", label_names=["a", "b", "c"],
                          n_classes=3)
    with pytest.raises(ValueError, match=r"single-label tasks; chestmnist has labels of shape \(20, 3\)"):
        classify.pixel_logistic_regression(multi, multi)


@pytest.mark.parametrize("outputs", [1, 3])
def test_train_classifier_refuses_a_model_with_another_number_of_outputs_than_classes(phantom_sets, outputs):
    """Too few outputs crashed inside cross_entropy (on a GPU: a device-side assert that ends the
    session); too many trained an epoch, then failed with advice about the evaluation set."""
    train, val = phantom_sets[0].subset(32, seed=0), phantom_sets[1].subset(16, seed=0)
    model = models.SmallCNN(1, outputs, width=4)
    with pytest.raises(ValueError, match=rf"the model has {outputs} outputs.*2 classes"):
        classify.train_classifier(model, train, val, epochs=1, device="cpu", progress=False, verbose=False)


def test_train_classifier_refuses_class_weights_of_the_wrong_length(phantom_sets):
    train, val = phantom_sets[0].subset(32, seed=0), phantom_sets[1].subset(16, seed=0)
    with pytest.raises(ValueError, match=r"class_weight: expected 2 weights"):
        classify.train_classifier(models.SmallCNN(1, 2, width=4), train, val, epochs=1, class_weight=[1.0, 2.0, 3.0],
                                  device="cpu", progress=False, verbose=False)


@pytest.mark.parametrize("max_shift", [1.5, -1, True])
def test_random_shift_refuses_a_shift_that_is_not_a_whole_number_of_pixels(max_shift):
    with pytest.raises(ValueError, match="max_shift"):
        classify.random_shift(max_shift)


def test_random_shift_moves_up_to_max_shift_pixels_both_ways():
    x = torch.zeros(300, 1, 5, 5)
    x[:, :, 2, 2] = 1
    out = classify.random_shift(1, seed=0)(x)
    rows = out[:, 0].sum(2).argmax(1) - 2          # where the bright pixel landed, relative to the centre
    assert set(rows.tolist()) == {-1, 0, 1}


def test_train_classifier_restores_the_epoch_with_the_best_validation_auc(phantom_sets):
    train, val = phantom_sets[0].subset(64, seed=0), phantom_sets[1].subset(64, seed=0)
    torch.manual_seed(0)
    hist = classify.train_classifier(models.SmallCNN(1, 2, width=4), train, val, epochs=4, batch_size=16,
                                     lr=0.05, device="cpu", progress=False, verbose=False)
    assert hist.best_epoch == 1 + int(np.argmax(hist["val_auc"]))


def test_pixel_logistic_regression_standardises_with_the_training_pixels_only(phantom_sets, monkeypatch):
    from sklearn.preprocessing import StandardScaler
    train, test = phantom_sets[0].subset(40, seed=0), phantom_sets[1].subset(20, seed=0)
    seen = []
    fit = StandardScaler.fit
    monkeypatch.setattr(StandardScaler, "fit", lambda self, x, *a, **k: (seen.append(len(x)), fit(self, x, *a, **k))[1])
    classify.pixel_logistic_regression(train, test)
    assert seen == [len(train)]
