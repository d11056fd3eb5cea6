"""The article's claims as verdicts (``[report] claim``) and the heatmap layout: the specs they
refuse, the verdict each rule reaches on records made to order, and the report's Verdict line."""
import math

import numpy as np
import pytest

from chainrule.studies import layouts, plots, report, runner, verdicts
from chainrule.studies import spec as S


def spec(factors, claim=None, layout="levels", **report_options):
    raw = {"name": "claim", "dataset": {"name": "iris"}, "factors": factors,
           "training": {"grad_monitor": True},
           "report": {"layout": layout, **report_options}}
    if claim:
        raw["report"]["claim"] = claim
    return S.parse(raw)


ACTIVATIONS = {"model.activation": ["heaviside", "straight_through", "hardtanh", "sigmoid"]}


def records(the_spec, metric_of, n=6):
    """One record per cell and seed; ``metric_of(labels, seed) -> metrics``."""
    out = []
    for labels, _ in the_spec.cells():
        for seed in range(n):
            out.append({"cell": labels, "seed": seed, "metrics": metric_of(labels, seed),
                        "history": {}})
    return out


def noise(seed):
    return 0.004 * np.sin(seed * 2.3)          # seed-to-seed spread, the same in every cell


# -- spec checks --------------------------------------------------------------------------

@pytest.mark.parametrize("raw_report, factors, words", [
    ({"claim": "flat_earth"}, ACTIVATIONS, ["report.claim", "'differentiability'"]),
    ({"claim": "differentiability"}, {"optimizer.lr": [0.1, 0.2]},
     ["report.claim", "first factor is 'model.activation'"]),
    ({"claim": "differentiability"}, {"model.activation": ["heaviside", "sigmoid"]},
     ["report.claim", "'straight_through'"]),
    ({"claim": "sensitivity"}, {"optimizer.lr": [0.1, 0.2]}, ["report.claim", "second factor"]),
    ({"claim": "alternatives"}, ACTIVATIONS, ["trial.method"]),
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
           "report": {"claim": "differentiability"}}
    with pytest.raises(S.SpecError, match="training.grad_monitor = true"):
        S.parse(raw)


def test_every_builtin_claim_is_judged_by_a_preset_that_passes_its_checks():
    judged = {S.load(path).report.get("claim") for path in S.preset_paths()}
    assert set(verdicts.CLAIMS) <= judged


# -- verdicts -------------------------------------------------------------------------------

def activations(step_gradient=0.0, ste=0.85, hardtanh=0.96):
    score = {"heaviside": 0.65, "straight_through": ste, "hardtanh": hardtanh, "sigmoid": 0.95}

    def metric_of(labels, seed):
        name = labels["model.activation"]
        first = step_gradient if name == "heaviside" else 0.5
        return {"val_accuracy": score[name] + noise(seed), "grad_norms_first": [first, 0.6],
                "grad_norms_last": [first, 0.3]}
    return metric_of


def test_differentiability_held_only_in_part_when_a_surrogate_gradient_trains_the_step():
    the_spec = spec(ACTIVATIONS, "differentiability")
    sentence = verdicts.verdict(the_spec, records(the_spec, activations()))
    assert sentence.startswith("The article's claim that backpropagation can only train "
                               "networks with differentiable activations held in part on this "
                               "data:")
    assert "first layer in 6 of 6 runs" in sentence and "0.650" in sentence
    assert "reached 0.850 with the straight-through" in sentence and "p < 0.001" in sentence
    assert sentence.count(".") >= 1 and sentence.endswith(".")


def test_differentiability_held_when_nothing_non_differentiable_trains_better():
    the_spec = spec(ACTIVATIONS, "differentiability")
    held = records(the_spec, activations(ste=0.65, hardtanh=0.80))
    assert " held on this data: " in verdicts.verdict(the_spec, held)
    leaked = records(the_spec, activations(step_gradient=0.1))
    assert " did not hold on this data: " in verdicts.verdict(the_spec, leaked)


RULES = {"trial.rule": ["backprop", "fa", "dfa"], "data": [
    {"label": "digits", "dataset.name": "digits"}, {"label": "iris", "dataset.name": "iris"}]}


def rules(score):
    def metric_of(labels, seed):
        return {"test_accuracy": score[labels["data"]][labels["trial.rule"]] + noise(seed),
                "angle_hidden": math.nan if labels["trial.rule"] == "backprop" else 50.0}
    return metric_of


@pytest.mark.parametrize("score, outcome", [
    ({"digits": {"backprop": 0.97, "fa": 0.90, "dfa": 0.91},
      "iris": {"backprop": 0.97, "fa": 0.80, "dfa": 0.85}}, " held on this data: "),
    ({"digits": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97},
      "iris": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97}}, " did not hold on this data: "),
    ({"digits": {"backprop": 0.97, "fa": 0.97, "dfa": 0.97},
      "iris": {"backprop": 0.97, "fa": 0.80, "dfa": 0.85}}, " held in part on this data: "),
])
def test_feedback_alignment_verdict_per_data_set(score, outcome):
    raw = {"name": "fa", "kind": "feedback_alignment", "factors": RULES,
           "dataset": {"name": "digits"},
           "report": {"claim": "feedback_alignment", "metrics": ["test_accuracy"]}}
    the_spec = S.parse(raw)
    sentence = verdicts.verdict(the_spec, records(the_spec, rules(score)))
    assert outcome in sentence
    assert "on digits, backprop reached a test accuracy of 0.970" in sentence
    assert "; on iris, " in sentence and "50° and 50°" in sentence


def test_alternatives_compares_the_best_of_each_family_and_skips_cells_that_never_ran():
    raw = {"name": "alt", "kind": "gradient_free", "dataset": {"name": "iris"},
           "factors": {"trial.method": ["adam", "lbfgs", "ga", "es", "cmaes"]},
           "report": {"claim": "alternatives"}}
    the_spec = S.parse(raw)
    score = {"adam": 0.90, "lbfgs": 0.95, "ga": 0.93, "es": 0.93, "cmaes": 0.99}
    done = [r for r in records(the_spec, lambda labels, seed: {
        "test_accuracy": score[labels["trial.method"]] + noise(seed)})
        if r["cell"]["trial.method"] != "cmaes"]          # say the cmaes package was missing
    sentence = verdicts.verdict(the_spec, done)
    assert "the best of the gradient-free methods, ga and es, reached test accuracy 0.930 " \
           "against lbfgs's 0.950" in sentence                  # ga and es tie
    assert " did not hold on this data: " in sentence and "significantly worse" in sentence


def grid_spec():
    return spec({"optimizer.lr": [0.01, 0.1, 1.0], "training.batch_size": [8, 64]},
                "sensitivity", layout="heatmap", tolerance=0.01)


def grid_records(width):
    """Accuracy 0.97 in ``width`` cells (the first ones, in cell order), 0.5 elsewhere."""
    def metric_of(labels, seed):
        index = [lb for lb, _ in grid_spec().cells()].index(labels)
        return {"val_accuracy": (0.97 if index < width else 0.5) + noise(seed),
                "train_loss": 0.1}
    return records(grid_spec(), metric_of)


def test_sensitivity_held_when_the_good_region_is_under_half_the_grid():
    sentence = verdicts.verdict(grid_spec(), grid_records(width=2))
    assert " held on this data: only 2 of 6 settings (33%) came within 0.01 of the best" \
        in sentence
    assert "4 of the other 5 were significantly worse" in sentence
    assert " did not hold on this data: 4 of 6 settings" in verdicts.verdict(grid_spec(),
                                                                          grid_records(4))


# -- the heatmap layout and figure ------------------------------------------------------------

def test_the_heatmap_is_the_grid_with_the_good_region_marked(tmp_path):
    runs = grid_records(width=3)
    for record in runs[-3:]:                        # the last cell: 3 of its 6 runs diverged
        record["metrics"]["stop_reason"] = "nan"
    section = layouts.heatmap(grid_spec(), runs)
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
    plots.draw(grid_spec(), grid_records(width=3), tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 5000


def test_a_study_that_judges_a_claim_reports_it_on_its_own_line(tmp_path):
    raw = {"name": "steps", "seeds": 2, "dataset": {"name": "iris"}, "model": {"hidden": [4]},
           "training": {"epochs": 2, "grad_monitor": True},
           "factors": {"model.activation": ["heaviside", "straight_through", "sigmoid"]},
           "report": {"claim": "differentiability"}}
    the_spec = S.parse(raw)
    assert runner.run(the_spec, tmp_path, jobs=1, progress=False)["done"] == 6
    report.build(tmp_path)
    table = (tmp_path / "steps" / "table.md").read_text()
    claim = [line for line in table.splitlines() if line.startswith("**Verdict.** ")]
    assert len(claim) == 1 and "differentiable activations" in claim[0]
    assert "first layer in 2 of 2 runs" in claim[0]        # the step passes no gradient
    page = (tmp_path / "index.html").read_text()
    assert '<p class="verdict"><strong>Verdict.</strong> The article' in page
