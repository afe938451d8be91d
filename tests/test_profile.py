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


def test_params_names_a_key_that_only_the_full_profile_has():
    with pytest.raises(ValueError, match=r"differing keys: \['n_val'\]"):
        profile.params(quick=dict(epochs=1), full=dict(epochs=2, n_val=100))


def test_params_refuses_a_profile_argument_spelled_otherwise():
    # 'Full' is no profile name: a typo must not silently pick a parameter set
    with pytest.raises(ValueError, match="profile must be one of"):
        profile.params(quick=dict(epochs=1), full=dict(epochs=30), profile="Full")


def test_check_profile_returns_a_profile_name_unchanged():
    assert profile.check_profile("quick") == "quick" and profile.check_profile("full") == "full"


@pytest.mark.parametrize("name", ["Full", " quick"])
def test_check_profile_refuses_another_spelling_and_suggests_the_lower_case_one(name):
    with pytest.raises(ValueError, match=rf"got '{name}' \(in lower case: '{name.strip().lower()}'\)"):
        profile.check_profile(name)


@pytest.mark.parametrize("name", ["fast", 1, None])
def test_check_profile_suggests_nothing_for_what_is_no_profile_in_any_case(name):
    with pytest.raises(ValueError, match="profile must be one of") as err:
        profile.check_profile(name)
    assert "lower case" not in str(err.value)


def test_chosen_is_the_active_profile_unless_one_is_given(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "quick")
    assert profile.chosen() == "quick" and profile.chosen("full") == "full"


def test_describe_under_the_full_profile_says_how_to_switch_to_quick(monkeypatch):
    monkeypatch.setenv("COURSEKIT_PROFILE", "full")
    text = profile.describe()
    assert text.startswith("profile: full (set by COURSEKIT_PROFILE)")
    assert "set COURSEKIT_PROFILE=quick (os.environ['COURSEKIT_PROFILE'] = 'quick')" in text


def test_describe_calls_the_gpu_the_reason_for_the_default_full_profile(monkeypatch):
    monkeypatch.delenv("COURSEKIT_PROFILE", raising=False)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    assert profile.describe().startswith("profile: full (default: a CUDA GPU is present)")
