"""The studies of the article's claims (presets 13 and 18-24): their options refused in one
line when bad, the trials they run (the landscape kind, corruption, schedules, augmentation,
the cost metrics), and the verdicts of their layouts, on records whose outcome is known."""
import copy
import math

import numpy as np
import pytest

from chainrule.studies import claims, plots, runner
from chainrule.studies.claims import baselines
from chainrule.studies import spec as S
from chainrule.studies.trial import load_split, run_trial

PRESETS = {"minima_saddles": (4, 24), "noise_augmentation": (20, 80),
           "lr_schedules": (18, 54), "depth_cost": (16, 80)}


@pytest.mark.parametrize("name", PRESETS)
def test_presets_parse_with_their_trial_counts(name):
    quick, full = PRESETS[name]
    assert len(runner.trials(S.load(name, quick=True))) == quick
    assert len(runner.trials(S.load(name))) == full
    assert S.find(name) in S.preset_paths()          # so `chainrule reproduce` runs it


def tiny(**sections):
    """A tiny iris study, its sections updated by ``sections`` (dicts merged per section)."""
    raw = {"name": "tiny", "seeds": 2,
           "dataset": {"name": "iris", "test_size": 0.3, "val_size": 0.0},
           "model": {"hidden": [8]}, "optimizer": {"name": "sgd", "lr": 0.1},
           "training": {"epochs": 3}}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return raw


def refused(raw, *words):
    with pytest.raises(S.SpecError) as info:
        S.parse(raw)
    message = str(info.value)
    assert "\n" not in message.strip()
    for word in words:
        assert word in message, (word, message)


@pytest.mark.parametrize("sections, words", [
    ({"dataset": {"label_noise": 1.5}}, ["dataset.label_noise", "[0, 1)"]),
    ({"dataset": {"input_noise": -1.0}}, ["dataset.input_noise", ">= 0"]),
    ({"dataset": {"name": "diabetes", "label_noise": 0.2}, "report": {"metrics": ["val_mse"]}},
     ["dataset.label_noise", "regression"]),
    ({"model": {"residual": "yes"}}, ["model.residual", "boolean"]),
    ({"training": {"augment": "warp"}}, ["training.augment", "warp", "random_shift"]),
    ({"training": {"augment": [{"name": "random_shift", "shift": 3}]}},
     ["training.augment", "shift"]),
    ({"training": {"augment": 3}}, ["training.augment", "a transform name"]),
    ({"training": {"schedule": "warp"}}, ["training.schedule", "'one_cycle'"]),
    ({"training": {"schedule_options": {"gamma": 0.5}}}, ["training.schedule_options", "empty"]),
    ({"training": {"schedule": "step", "schedule_options": {"gama": 0.5}}},
     ["training.schedule_options", "gama"]),
    ({"training": {"schedule": "one_cycle", "schedule_options": {"pct_start": 2.0}}},
     ["training.schedule_options", "pct_start"]),
    ({"training": {"schedule": "bold_driver", "schedule_options": {"decrease": 2.0}}},
     ["training.schedule_options", "decrease"]),
    ({"factors": {"model.activation": ["relu", "tanh"]}, "report": {"baseline": "sigmoid"}},
     ["report.baseline", "'relu', 'tanh'"]),
    ({"report": {"layout": "landscape"}}, ["report.layout", "kind = 'landscape'"]),
    ({"factors": {"model.activation": ["relu", "tanh"]}, "report": {"layout": "effects"}},
     ["report.layout", "two factors"]),
    ({"factors": {"model.activation": ["relu", "tanh"]}, "report": {"layout": "schedules"}},
     ["report.layout", "target_loss"]),
    ({"factors": {"model.activation": ["relu", "tanh"]}, "report": {"layout": "depth"}},
     ["report.layout", "hidden layers"]),
    ({"kind": "landscape", "trial": {"path_points": 1}}, ["trial", "path_points"]),
    ({"kind": "landscape", "trial": {"slice_span": 0.0}}, ["trial", "slice_span"]),
])
def test_a_bad_option_of_the_claims_is_refused_in_one_line(sections, words):
    refused(tiny(**sections), *words)


# -- the trials ----------------------------------------------------------------------------------


def config(raw):
    return S.parse(raw).cells()[0][1]


def test_corruption_flips_the_asked_share_of_training_labels_and_leaves_the_test_rows():
    raw = {"preprocessing": "none"}          # standardising would carry the noise to the test
    clean, _, _ = load_split(config(tiny(dataset=raw))["dataset"], 0, "classification")
    noisy, _, _ = load_split(config(tiny(dataset={**raw, "label_noise": 0.2,
                                                  "input_noise": 0.5}))["dataset"], 0,
                             "classification")
    assert np.sum(noisy.y_train != clean.y_train) == round(0.2 * len(clean.y_train))
    assert not np.allclose(noisy.X_train, clean.X_train)
    np.testing.assert_array_equal(noisy.X_test, clean.X_test)
    np.testing.assert_array_equal(noisy.y_test, clean.y_test)
    other, _, _ = load_split(config(tiny(dataset={"label_noise": 0.2}))["dataset"], 1,
                             "classification")
    assert not np.array_equal(other.y_train, noisy.y_train)      # each seed its own draw


def test_a_fit_trial_records_cost_gap_and_first_layer_gradient():
    metrics = run_trial(config(tiny(model={"hidden": [8, 8], "residual": True,
                                           "batch_norm": True},
                                    training={"grad_monitor": True, "batch_size": 16})), 0)[
        "metrics"]
    assert metrics["parameters"] == (4 * 8 + 8) + (8 * 8 + 8) + (8 * 3 + 3) + 2 * 2 * 8
    assert metrics["epoch_time"] == pytest.approx(metrics["train_time"] / 3)
    assert metrics["train_test_gap"] == pytest.approx(metrics["train_accuracy"]
                                                      - metrics["test_accuracy"])
    assert metrics["first_layer_grad"] == metrics["grad_norms_first"][0] > 0


@pytest.mark.parametrize("schedule, options", [
    ("step", {}), ("cosine", {"eta_min": 0.01}), ("warmup_cosine", {"warmup": 2}),
    ("one_cycle", {"cycle_momentum": False}), ("bold_driver", {"increase": 1.1}),
])
def test_a_schedule_trains_for_the_whole_budget_past_the_target(schedule, options):
    out = run_trial(config(tiny(training={"epochs": 8, "schedule": schedule,
                                          "schedule_options": options, "target_loss": 5.0,
                                          "stop_at_target": False},
                                optimizer={"lr": 0.5})), 0)
    assert out["metrics"]["epochs"] == 8 and out["metrics"]["epochs_to_target"] == 1
    rates = out["history"]["lr"]
    assert len(rates) == 8 and len(set(rates)) > 1              # the rate moved


def test_augmentation_changes_what_the_network_learns_and_nothing_else():
    plain = run_trial(config(tiny()), 0)["metrics"]
    noisy = run_trial(config(tiny(training={"augment": {"name": "gaussian_noise", "std": 1.0}})),
                      0)["metrics"]
    assert noisy["train_loss"] != plain["train_loss"] and noisy["epochs"] == plain["epochs"]


def test_a_landscape_trial_examines_two_end_points():
    raw = {"name": "land", "kind": "landscape", "seeds": 1,
           "dataset": {"name": "sine", "options": {"n_samples": 40, "n_features": 2},
                       "preprocessing": "none", "test_size": 0.25, "val_size": 0.0},
           "model": {"hidden": [3], "activation": "tanh"},
           "optimizer": {"name": "lbfgs", "max_iter": 1, "max_eval": 25,
                         "line_search_fn": "strong_wolfe"},
           "training": {"loss": "mse", "epochs": 20},
           "trial": {"path_points": 5, "slice_points": 3}}
    out = run_trial(config(raw), 0)
    metrics, history = out["metrics"], out["history"]
    first, second = metrics["end_points"]
    assert first["kind"] in ("minimum", "saddle", "flat") and metrics["parameters"] == 13
    assert first["train_loss"] != second["train_loss"]           # two different restarts
    assert metrics["eigen_error"] < 1e-6                         # Lanczos agrees with func.hessian
    assert metrics["barrier"] >= 0
    assert history["path_loss"][0] == pytest.approx(first["train_loss"])
    assert history["path_loss"][-1] == pytest.approx(second["train_loss"])
    assert np.shape(history["slice_loss"]) == (3, 3)
    assert history["slice_loss"][1][1] == pytest.approx(first["train_loss"])


# -- the verdicts, on records whose outcome is known --------------------------------------------


def records(spec, value, extra=None):
    """Records for every cell and seed: ``value(cell labels, seed) -> {metric: value}``."""
    out = []
    for labels, _ in spec.cells():
        for seed in range(spec.seeds):
            metrics = value(labels, seed)
            out.append({"cell": labels, "seed": seed, "metrics": metrics, "history": {},
                        "status": "done", **(extra or {})})
    return out


def verdict(section):
    sentence = section.notes[-1]
    assert sentence.startswith("Verdict: the article's claim that") and sentence.count(". ") == 0
    return sentence


def effects_spec():
    return S.parse(tiny(seeds=5, factors={
        "data": [{"label": "Clean"}, {"label": "Noisy", "dataset.input_noise": 1.0}],
        "augmentation": [{"label": "Off"}, {"label": "On", "training.augment": "mixup"}]},
        report={"layout": "effects", "metrics": ["test_accuracy"], "baseline": "Clean"}))


@pytest.mark.parametrize("noise, gain, outcome", [
    (-0.2, 0.1, "held on"), (-0.2, -0.1, "held in part"), (0.0, 0.0, "did not hold")])
def test_the_effects_verdict_weighs_the_harm_and_the_gain(noise, gain, outcome):
    spec = effects_spec()
    jitter = [0.01, -0.02, 0.015, -0.005, 0.0]

    def value(labels, seed):
        accuracy = 0.6 + (noise if labels["data"] == "Noisy" else 0.0) + jitter[seed] \
            + (gain + jitter[4 - seed] if labels["augmentation"] == "On" else 0.0)
        return {"test_accuracy": accuracy}

    section = claims.effects(spec, records(spec, value))
    assert outcome in verdict(section)
    assert len(section.table.rows) == 2


def schedules_spec():
    return S.parse(tiny(seeds=4, training={"target_loss": 0.5, "stop_at_target": False,
                                           "epochs": 100}, factors={"schedule": [
        {"label": "small", "optimizer.lr": 0.01}, {"label": "good"},
        {"label": "cosine", "training.schedule": "cosine"},
        {"label": "adam", "optimizer.name": "adam"}]},
        report={"layout": "schedules", "metrics": ["test_accuracy"], "baseline": "good"}))


@pytest.mark.parametrize("helps, outcome", [(True, "held on"), (False, "held in part")])
def test_the_schedules_verdict_finds_the_slow_rate_and_the_helpers(helps, outcome):
    spec = schedules_spec()
    epochs = {"small": None, "good": 40, "cosine": 20 if helps else 40, "adam": 40}

    def value(labels, seed):
        hit = epochs[labels["schedule"]]
        out = {"test_accuracy": 0.9 + 0.001 * seed, "train_loss": 0.1,
               "reached": float(hit is not None)}
        if hit is not None:
            out.update(epochs_to_target=hit + seed, time_to_target=0.01 * hit)
        return out

    section = claims.schedules(spec, records(spec, value))
    assert outcome in verdict(section)
    assert "small reached the target in 0/4 runs" in section.notes[-1]
    assert baselines._roles(spec)[("small",)] == "smaller"
    assert baselines._roles(spec)[("adam",)] == "helper"


def test_the_depth_verdict_reads_cost_gap_and_the_deepest_network():
    spec = S.parse(tiny(seeds=4, training={"grad_monitor": True}, factors={
        "model.hidden": {"levels": [[8], [8, 8], [8, 8, 8], [8, 8, 8, 8]],
                         "labels": ["1", "2", "3", "4"]},
        "architecture": [{"label": "Plain"}, {"label": "Residual", "model.residual": True}]},
        report={"layout": "depth", "metrics": ["test_accuracy"]}))

    def value(labels, seed):
        depth = int(labels["model.hidden"])
        plain = labels["architecture"] == "Plain"
        test = 0.9 - (0.1 * depth if plain else 0.0) + 0.002 * seed
        return {"test_accuracy": test, "train_accuracy": test + 0.02 * depth + 0.001 * seed,
                "train_test_gap": 0.02 * depth + 0.001 * seed, "epoch_time": 0.01 * depth,
                "parameters": 100 * depth,
                "first_layer_grad": (10.0 ** -depth if plain else 1.0) * (1 + 0.1 * seed)}

    section = claims.depth(spec, records(spec, value))
    sentence = verdict(section)
    assert "held on" in sentence and "in 1 of 2 architectures" in sentence
    assert any("1.14e-04 at depth 4" in note for note in section.notes)    # vanishing, shown


def test_the_landscape_verdict_counts_stuck_restarts_and_the_better_width():
    spec = S.parse({"name": "land", "kind": "landscape", "seeds": 6,
                    "dataset": {"name": "sine"}, "training": {"loss": "mse"},
                    "factors": {"model.hidden": {"levels": [[2], [8]],
                                                 "labels": ["narrow", "wide"]}},
                    "report": {"layout": "landscape", "metrics": ["train_loss"]}})

    def point(loss):
        return {"train_loss": loss, "test_loss": loss, "gradient_norm": 1e-5,
                "stationary": True, "kind": "minimum", "top_eigenvalue": 10.0,
                "bottom_eigenvalue": 1e-3, "negative_eigenvalues": 0, "eigen_error": 1e-12,
                "matvecs": 40}

    def value(labels, seed):
        losses = ([0.02, 0.1 if seed % 2 else 0.02] if labels["model.hidden"] == "narrow"
                  else [0.01 + 0.0001 * seed, 0.01])
        return {"end_points": [point(v) for v in losses], "train_loss": float(np.mean(losses)),
                "barrier": 1.0}

    section = claims.landscape(spec, records(spec, value))
    sentence = verdict(section)
    assert "held on" in sentence and "3 of 12 restarts stopped at local minima 5.0x" in sentence
    assert section.table.rows[0][3] == "2"                       # two loss levels, narrow
    draw = plots.DRAW["landscape"]
    assert draw is plots._landscape and math.isfinite(float(section.table.rows[1][4].split()[0]))


# -- the claims judged on another layout's table (differentiability, feedback alignment,
# -- sensitivity, alternatives) and the heatmap layout ------------------------------------------

ACTIVATIONS = {"model.activation": ["heaviside", "straight_through", "hardtanh", "sigmoid"]}


def judged_spec(factors, layout, **report_options):
    return S.parse({"name": "claim", "seeds": 6, "dataset": {"name": "iris"},
                    "factors": factors, "training": {"grad_monitor": True},
                    "report": {"layout": layout, **report_options}})


def noise(seed):
    return 0.004 * np.sin(seed * 2.3)          # seed-to-seed spread, the same in every cell


@pytest.mark.parametrize("raw_report, factors, words", [
    ({"layout": "flat_earth"}, ACTIVATIONS, ["report.layout", "'differentiability'"]),
    ({"layout": "differentiability"}, {"optimizer.lr": [0.1, 0.2]},
     ["report.layout", "first factor is 'model.activation'"]),
    ({"layout": "differentiability"}, {"model.activation": ["heaviside", "sigmoid"]},
     ["report.layout", "'straight_through'"]),
    ({"layout": "sensitivity"}, {"optimizer.lr": [0.1, 0.2]}, ["report.layout", "two factors"]),
    ({"layout": "alternatives"}, ACTIVATIONS, ["trial.method"]),
    ({"tolerance": -0.1}, ACTIVATIONS, ["report.tolerance", ">= 0"]),
    ({"layout": "heatmap"}, ACTIVATIONS, ["report.layout", "exactly two factors"]),
])
def test_a_claim_or_layout_the_study_cannot_judge_is_refused(raw_report, factors, words):
    raw = {"name": "bad", "dataset": {"name": "iris"}, "factors": factors,
           "training": {"grad_monitor": True}, "report": raw_report}
    with pytest.raises(S.SpecError) as info:
        S.parse(raw, source="bad.toml")
    for word in ["bad.toml", *words]:
        assert word in str(info.value), (word, str(info.value))


def test_the_differentiability_verdict_needs_the_gradient_monitor():
    raw = {"name": "bad", "dataset": {"name": "iris"}, "factors": ACTIVATIONS,
           "report": {"layout": "differentiability"}}
    with pytest.raises(S.SpecError, match="training.grad_monitor = true"):
        S.parse(raw)


def test_every_claim_is_judged_by_a_preset_that_passes_its_checks():
    layouts_used = {S.load(path).report["layout"] for path in S.preset_paths()}
    assert set(claims.CLAIMS) <= layouts_used


def activations(step_gradient=0.0, ste=0.85, hardtanh=0.96):
    score = {"heaviside": 0.65, "straight_through": ste, "hardtanh": hardtanh, "sigmoid": 0.95}

    def value(labels, seed):
        name = labels["model.activation"]
        first = step_gradient if name == "heaviside" else 0.5
        return {"val_accuracy": score[name] + noise(seed), "grad_norms_first": [first, 0.6],
                "grad_norms_last": [first, 0.3]}
    return value


def test_differentiability_held_only_in_part_when_a_surrogate_gradient_trains_the_step():
    spec = judged_spec(ACTIVATIONS, "differentiability")
    section = claims.CLAIMS["differentiability"](spec, records(spec, activations()))
    sentence = verdict(section)
    assert sentence.startswith("Verdict: the article's claim that backpropagation can only "
                               "train networks with differentiable activations held in part on "
                               "this data:")
    assert "first layer in 6 of 6 runs" in sentence and "0.650" in sentence
    assert "reached 0.850 with the straight-through" in sentence and "p < 0.001" in sentence
    assert len(section.table.rows) == 4                  # the levels table, one row per cell


def test_differentiability_held_when_nothing_non_differentiable_trains_better():
    spec = judged_spec(ACTIVATIONS, "differentiability")
    judge = claims.CLAIMS["differentiability"].verdict
    held = records(spec, activations(ste=0.65, hardtanh=0.80))
    assert " held on this data: " in judge(spec, held)
    leaked = records(spec, activations(step_gradient=0.1))
    assert " did not hold on this data: " in judge(spec, leaked)


RULES = {"trial.rule": ["backprop", "fa", "dfa"], "data": [
    {"label": "digits", "dataset.name": "digits"}, {"label": "iris", "dataset.name": "iris"}]}


@pytest.mark.parametrize("score, outcome", [
    ({"digits": {"backprop": 0.97, "fa": 0.90, "dfa": 0.91},
      "iris": {"backprop": 0.97, "fa": 0.80, "dfa": 0.85}}, " held on this data: "),
    ({"digits": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97},
      "iris": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97}}, " did not hold on this data: "),
    ({"digits": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97},
      "iris": {"backprop": 0.97, "fa": 0.80, "dfa": 0.85}}, " held in part on this data: "),
])
def test_feedback_alignment_verdict_per_data_set(score, outcome):
    spec = S.parse({"name": "fa", "kind": "feedback_alignment", "seeds": 6, "factors": RULES,
                    "dataset": {"name": "digits"},
                    "report": {"layout": "feedback_alignment", "metrics": ["test_accuracy"]}})

    def value(labels, seed):
        return {"test_accuracy": score[labels["data"]][labels["trial.rule"]] + noise(seed),
                "angle_hidden": math.nan if labels["trial.rule"] == "backprop" else 50.0}

    sentence = claims.CLAIMS["feedback_alignment"].verdict(spec, records(spec, value))
    assert outcome in sentence
    assert "on digits, backprop reached a test accuracy of 0.970" in sentence
    assert "; on iris, " in sentence and "50° and 50°" in sentence


def test_alternatives_compares_the_best_of_each_family_and_skips_cells_that_never_ran():
    spec = S.parse({"name": "alt", "kind": "gradient_free", "seeds": 6,
                    "dataset": {"name": "iris"},
                    "factors": {"trial.method": ["adam", "lbfgs", "ga", "es", "cmaes"]},
                    "report": {"layout": "alternatives"}})
    score = {"adam": 0.90, "lbfgs": 0.95, "ga": 0.93, "es": 0.93, "cmaes": 0.99}
    done = [r for r in records(spec, lambda labels, seed: {
        "test_accuracy": score[labels["trial.method"]] + noise(seed)})
        if r["cell"]["trial.method"] != "cmaes"]          # say the cmaes package was missing
    sentence = claims.CLAIMS["alternatives"].verdict(spec, done)
    assert "the best of the gradient-free methods, ga and es, reached test accuracy 0.930 " \
           "against lbfgs's 0.950" in sentence                  # ga and es tie
    assert " did not hold on this data: " in sentence and "significantly worse" in sentence
    nothing = [r for r in done if r["cell"]["trial.method"] in ("adam", "lbfgs")]
    assert " could not be judged on this data: no run of 'ga' or 'pso' or 'es' or 'cmaes' " \
           "finished." in claims.CLAIMS["alternatives"].verdict(spec, nothing)


def grid_spec():
    return judged_spec({"optimizer.lr": [0.01, 0.1, 1.0], "training.batch_size": [8, 64]},
                       "sensitivity", tolerance=0.01)


def grid_records(width):
    """Accuracy 0.97 in ``width`` cells (the first ones, in cell order), 0.5 elsewhere."""
    spec = grid_spec()
    order = [labels for labels, _ in spec.cells()]
    return records(spec, lambda labels, seed: {
        "val_accuracy": (0.97 if order.index(labels) < width else 0.5) + noise(seed),
        "train_loss": 0.1})


def test_sensitivity_held_when_the_good_region_is_under_half_the_grid():
    judge = claims.CLAIMS["sensitivity"].verdict
    sentence = judge(grid_spec(), grid_records(width=2))
    assert " held on this data: only 2 of 6 settings (33%) came within 0.01 of the best" \
        in sentence
    assert "4 of the other 5 were significantly worse" in sentence
    assert " did not hold on this data: 4 of 6 settings" in judge(grid_spec(), grid_records(4))


def test_the_heatmap_is_the_grid_with_the_good_region_marked(tmp_path):
    runs = grid_records(width=3)
    for record in runs[-3:]:                        # the last cell: 3 of its 6 runs diverged
        record["metrics"]["stop_reason"] = "nan"
    section = claims.CLAIMS["sensitivity"](grid_spec(), runs)
    table = section.table
    assert table.header == ["Lr \\ Batch Size", "8", "64"]
    assert [row[0] for row in table.rows] == ["0.01", "0.1", "1"]
    marked = [[cell.endswith(" *") for cell in row[1:]] for row in table.rows]
    assert marked == [[True, True], [True, False], [False, False]]
    assert table.rows[0][1].startswith("0.97")
    assert "3 of 6 (50%)" in " ".join(section.notes)
    assert "batch size 8: 0.01 to 0.1; batch size 64: 0.01" in " ".join(section.notes)
    assert "Training diverged (stopped on a non-finite loss, fit's NaN guard) in: lr 1, " \
           "batch size 64 (3 of 6 runs)." in section.notes
    assert len(section.tables[0][1].rows) == 6                      # every cell as a row
    assert " did not hold on this data: 3 of 6 settings" in verdict(section)
    assert plots.DRAW["sensitivity"] is plots.DRAW["heatmap"]
    plots.draw(grid_spec(), runs, tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 5000


def test_a_study_that_judges_a_claim_ends_its_notes_with_the_verdict(tmp_path):
    from chainrule.studies import report
    spec = S.parse({"name": "steps", "seeds": 2, "dataset": {"name": "iris"},
                    "model": {"hidden": [4]}, "training": {"epochs": 2, "grad_monitor": True},
                    "factors": {"model.activation": ["heaviside", "straight_through", "sigmoid"]},
                    "report": {"layout": "differentiability"}})
    assert runner.run(spec, tmp_path, jobs=1, progress=False)["done"] == 6
    report.build(tmp_path)
    table = (tmp_path / "steps" / "table.md").read_text()
    claim = [line for line in table.splitlines() if "Verdict: " in line]
    assert len(claim) == 1 and claim[0].startswith("- Verdict: the article's claim that ")
    assert "first layer in 2 of 2 runs" in claim[0]        # the step passes no gradient
    assert "<li>Verdict: the article&#x27;s claim that backpropagation can only" in \
        (tmp_path / "index.html").read_text()


def test_alternatives_says_when_the_gradient_free_method_is_significantly_better():
    spec = S.parse({"name": "alt", "kind": "gradient_free", "seeds": 6,
                    "dataset": {"name": "iris"}, "factors": {"trial.method": ["adam", "pso"]},
                    "report": {"layout": "alternatives"}})
    score = {"adam": 0.90, "pso": 0.99}
    sentence = claims.CLAIMS["alternatives"].verdict(spec, records(spec, lambda labels, seed: {
        "test_accuracy": score[labels["trial.method"]] + noise(seed)}))
    assert " held on this data: " in sentence and ", significantly better)" in sentence
