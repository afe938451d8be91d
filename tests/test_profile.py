"""coursekit.profile: one switch between quick and full."""
import pytest

from coursekit import profile


def test_env_var_selects_the_profile(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "full")
    assert profile.active() == "full"
    monkeypatch.setenv("COURSEKIT_PROFILE", "QUICK")
    assert profile.active() == "quick"


def test_default_is_quick_without_a_gpu(monkeypatch):
    monkeypatch.delenv("COURSEKIT_PROFILE", raising=False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert profile.active() == "quick"
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert profile.active() == "full"


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "fast")
    with pytest.raises(ValueError, match="quick"):
        profile.active()


def test_params_picks_the_active_set_with_attribute_access(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    P = profile.params(quick=dict(epochs=1, n=64), full=dict(epochs=30, n=None))
    assert (P.profile, P.epochs, P.n) == ("quick", 1, 64)
    assert profile.params(quick=dict(epochs=1), full=dict(epochs=30), profile="full").epochs == 30


def test_params_requires_the_same_keys_in_both_profiles():
    with pytest.raises(ValueError, match="n_train"):
        profile.params(quick=dict(epochs=1, n_train=10), full=dict(epochs=2))


def test_params_refuse_a_parameter_named_profile_which_names_the_active_profile():
    with pytest.raises(ValueError, match="'profile' is reserved"):
        profile.params(quick=dict(profile="small"), full=dict(profile="large"))


def test_describe_says_how_to_change_the_profile(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    text = profile.describe()
    assert "quick" in text and "COURSEKIT_PROFILE" in text and "full" in text


def test_describe_calls_a_blank_variable_the_default(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "  ")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    text = profile.describe()
    assert "profile: quick (default: no CUDA GPU)" in text and "set by" not in text
