"""Benchmarks run the same parameters as the notebooks whose numbers they report."""
import ast
import json

import pytest

from coursekit import bench, gan_report
from coursekit.book import ROOT


def literal(node):
    """ast.literal_eval that also reads dict(a=1, ...) calls."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "dict":
        return {kw.arg: literal(kw.value) for kw in node.keywords}
    return ast.literal_eval(node)


def notebook_params(nb_path):
    """The quick/full dicts of the notebook's one `ck.profile.params(...)` cell."""
    for cell in json.loads(nb_path.read_text())["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and "profile.params(" in src:
            call = next(n for n in ast.walk(ast.parse(src))
                        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "params")
            return {kw.arg: literal(kw.value) for kw in call.keywords}
    raise AssertionError(f"{nb_path} has no parameters cell")


BENCHMARKS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_uses_the_parameters_of_the_notebook_it_reports(name):
    """Each benchmark names its notebook (NOTEBOOK) and runs exactly its PARAMS."""
    module = bench.load_benchmark(name)
    assert module.PARAMS == notebook_params(ROOT / module.NOTEBOOK)


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks" / "results").glob("*.json")), ids=lambda p: p.name)
def test_committed_results_follow_the_convention(path):
    data = json.loads(path.read_text())
    assert {"profile", "device", "git_commit"} <= set(data)
    assert all(isinstance(v, (int, float)) for k, v in data.items() if k not in bench.META_KEYS)
    assert path.name.endswith(".json") and (data["profile"] == "full") == (path.name.count(".") == 1)


def test_cnn_results_carry_the_keys_the_chapter_reads():
    data = bench.load_result("cnn_pneumonia")
    for key in ("cnn_test_auc", "cnn_test_acc", "logreg_test_auc", "logreg_test_acc",
                "loader_resident_img_per_s", "loader_dataloader_img_per_s", "loader_timed_epochs",
                *(f"loader_{p}_img_per_s_{m}" for p in ("resident", "dataloader") for m in ("min", "max"))):
        assert key in data


# ------------------------------------------------------- gan_recipes.py's command line and file

def test_gan_recipes_runs_every_recipe_when_none_is_named_and_only_the_named_ones_otherwise():
    recipes = bench.load_benchmark("gan_recipes")
    assert recipes.chosen([]) == list(recipes.RECIPES)
    assert recipes.chosen(["long", "base"]) == ["base", "long"]          # in the table's order


def test_gan_recipes_refuses_an_unknown_recipe_and_lists_the_known_ones():
    recipes = bench.load_benchmark("gan_recipes")
    with pytest.raises(SystemExit, match="choose among.*'decay'"):
        recipes.chosen(["base", "deacy"])


def test_gan_recipes_base_is_the_chapter_dcgan_and_the_others_differ_from_it():
    recipes = bench.load_benchmark("gan_recipes")
    assert recipes.RECIPES["base"] == (1, 1, {})
    settings = [repr(v) for v in recipes.RECIPES.values()]
    assert len(set(settings)) == len(settings)


def test_the_recipe_plot_counts_generator_updates_with_the_d_steps_of_the_benchmark():
    """05b puts each recipe's curve on an axis of G updates (gan_report.recipe_curves divides its
    epochs by its d_steps): gan_report.D_STEPS must name exactly the recipes that update D more
    than once in gan_recipes.py."""
    recipes = bench.load_benchmark("gan_recipes")
    d_steps = {name: kw["d_steps"] for name, (_, _, kw) in recipes.RECIPES.items() if kw.get("d_steps", 1) != 1}
    assert gan_report.D_STEPS == d_steps


def test_the_chapter_names_the_recipes_of_the_benchmark_in_its_order():
    """05b lists the recipes not yet run from gan_report.RECIPES (a notebook on Colab has no
    benchmarks/ folder to read them from)."""
    assert gan_report.RECIPES == tuple(bench.load_benchmark("gan_recipes").RECIPES)


# ------------------------------------------------------- ae_latent.py's command line

def test_ae_latent_runs_every_size_when_none_is_named_and_the_named_ones_smallest_first():
    sweep = bench.load_benchmark("ae_latent")
    assert sweep.chosen([]) == list(sweep.LATENTS)
    assert sweep.chosen(["8", "2", "8"]) == [2, 8]


@pytest.mark.parametrize("argv", [["two"], ["0"], ["4", "-1"], ["2.5"]])
def test_ae_latent_refuses_a_size_that_is_not_a_positive_whole_number(argv):
    sweep = bench.load_benchmark("ae_latent")
    with pytest.raises(SystemExit, match="sizes must"):
        sweep.chosen(argv)


def test_ae_latent_includes_the_chapter_s_latent_size_so_the_two_benchmarks_can_be_compared():
    sweep = bench.load_benchmark("ae_latent")
    assert sweep.PARAMS["full"]["latent_dim"] in sweep.LATENTS


# ------------------------------------------------------- ae_datasets.py's command line

def test_ae_datasets_runs_every_set_when_none_is_named_and_the_named_ones_in_their_order():
    sets = bench.load_benchmark("ae_datasets")
    assert sets.chosen([]) == list(sets.DATASETS)
    assert sets.chosen(["bloodmnist", "pneumoniamnist", "bloodmnist"]) == ["pneumoniamnist", "bloodmnist"]


def test_ae_datasets_refuses_a_set_it_does_not_know():
    sets = bench.load_benchmark("ae_datasets")
    with pytest.raises(SystemExit, match=r"unknown data set\(s\) \['chestmnist'\]"):
        sets.chosen(["pneumoniamnist", "chestmnist"])


def test_ae_datasets_includes_the_chapter_s_set_with_the_chapter_s_recipe():
    sets, chapter = bench.load_benchmark("ae_datasets"), bench.load_benchmark("autoencoders")
    assert sets.DATASETS[0] == "organamnist" and sets.PARAMS == chapter.PARAMS and sets.SEED == chapter.SEED


def test_committed_ae_results_agree_where_they_measure_the_same_model():
    # one recipe, one seed, one device (its torch release and CPU kernels included): the chapter's
    # autoencoder in three scripts is one model
    ae, sweep, sets = (bench.find_result(n) for n in ("autoencoders", "ae_latent", "ae_datasets"))
    if ae is None:
        pytest.skip("benchmarks/results/autoencoders.json is not here")
    k = int(ae["latent_dim"])
    for other, suffix in ((sweep, f"_d{k:03d}"), (sets, "_organamnist")):
        if other is None or other.get("device") != ae["device"]:
            continue
        for key in ("ae_test_mse", "pca_test_mse", "ae_probe_acc", "pca_probe_acc", "ae_best_epoch"):
            assert other[key + suffix] == pytest.approx(ae[key], rel=1e-6), key + suffix
