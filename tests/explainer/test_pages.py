"""The explain pages without a browser: one self-contained file, the trace's own numbers,
the training view's recording, and the command line. (The browser tests click through
them: ``test_pages_browser.py``.)"""
import base64
import gzip
import json
import re

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.explainer import classic_example, explain, random_example
from chainrule.explainer.html import explain_page, training_page
from chainrule.explainer.record import curve_steps, step_record
from chainrule.explainer.tables import fmt
from chainrule.explainer.training_view import record_training, snapshot_epochs


def embedded(page: str, key: str):
    text = re.search(rf'<script type="([^"]+)" id="{key}">(.*?)</script>', page, re.S)
    kind, body = text.groups()
    if kind == "application/gzip+base64":
        body = gzip.decompress(base64.b64decode(body)).decode()
    return json.loads(body)


def assert_self_contained(page: str):
    assert "<link" not in page and " src=" not in page          # no file or script fetched
    urls = set(re.findall(r"https?://[^\s\"')<]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls         # only the SVG namespace


def test_step_page_embeds_the_text_traces_numbers():
    model, x, target = classic_example()
    page = explain_page(model, x, target)
    assert_self_contained(page)
    record = embedded(page, "chainrule-record")
    result = explain(model, x, target)
    assert record == json.loads(json.dumps(step_record(result)))
    text = str(result)
    weights = record["numbers"]["weights"]
    assert weights["w5"] == ["0.400000000", "0.082167041", "0.358916480"]
    for name, (value, grad, updated) in weights.items():         # the same digits as the table
        assert re.search(rf"^{name}\s+\S+ -> \S+\s+{value}\s.*\s{grad}\s+{updated}$", text, re.M)
    assert record["numbers"]["nodes"]["h1"] == ["0.377500000", "0.593269992", "0.036350306",
                                                "0.241300709", "0.008771355"]
    assert record["numbers"]["error"] == "0.298371109" == fmt(result.error)
    assert [w["name"] for w in record["structure"]["weights"] if w["from"] == "1"] == \
        ["b_h1", "b_h2", "b_o1", "b_o2"]
    assert page.count('class="node ') > 10                      # the graph of E is there
    assert "Total error E = 0.298371109" in page                 # and the text trace


def test_page_of_a_deeper_network_and_a_long_run():
    model, x, target = random_example([3, 4, 4, 2], "tanh", 1)
    page = explain_page(model, x, target, steps=2000, graph=False)
    record = embedded(page, "chainrule-record")
    assert record["structure"]["neurons"][1] == ["h1_1", "h1_2", "h1_3", "h1_4"]
    assert record["structure"]["activations"][0] == {"name": "tanh", "derivative": "1 - out^2"}
    curve = record["numbers"]["curve"]
    assert len(curve) <= 320 and curve[0][0] == 0 and curve[-1][0] == 2000
    assert {0, 1, 2, 5, 10, 100, 1000, 2000} <= {step for step, _ in curve}
    assert 'id="graph"' not in page
    assert curve_steps(3) == [0, 1, 2, 3]


def test_bce_is_written_out_and_its_output_delta_is_out_minus_target():
    model, x, target = classic_example()
    result = explain(model, x, target, loss="bce")             # checked against the engine
    for row, out, wanted in zip(result.backward, result.output, target):
        assert row["delta"] == pytest.approx(out - wanted, abs=1e-12)
    assert result.loss_grad_text == "(out - target) / (out (1 - out))"
    saturated = explain(model, x, np.array([1.0, 0.0]), loss="bce")   # finite all the same
    assert np.isfinite(saturated.error)


@pytest.fixture(scope="module")
def circles():
    return record_training("circles", epochs=6, snapshots=4, explained=4, seed=3)


def test_training_recording_is_reproducible_and_its_traces_are_explain(circles):
    again = record_training("circles", epochs=6, snapshots=4, explained=4, seed=3)
    assert again.to_page() == circles.to_page()
    assert circles.snapshot_epochs == [0, 1, 3, 6] == snapshot_epochs(6, 4)
    assert circles.explained == again.explained and len(set(circles.explained)) == 4
    assert sorted(circles.y[circles.explained]) == [0, 0, 1, 1]   # both classes
    for k in (0, 3):
        for i in range(4):
            result = explain(circles.model_at(k), *circles.example(i), loss="bce", lr=0.5)
            assert circles.traces[k][i] == json.loads(json.dumps(step_record(result)["numbers"]))
    assert circles.accuracy[-1] > circles.accuracy[0]
    assert circles.loss[-1] < circles.loss[0]


def test_training_maps_change_with_the_epochs(circles):
    size = 60 * 60
    assert all(len(b) == size for b in circles.boundary)
    assert circles.boundary[0] != circles.boundary[-1]
    first, last = (np.frombuffer(b, dtype=np.uint8) for b in (circles.boundary[0],
                                                              circles.boundary[-1]))
    assert np.abs(first.astype(int) - last).mean() > 5
    assert [len(h) for h in circles.hidden] == [6] * 4           # 2-6-1: six hidden maps
    page = training_page(circles)
    assert_self_contained(page)
    data = embedded(page, "chainrule-training")
    assert len(data["frames"]) == 4 and len(data["traces"]) == 4
    assert base64.b64decode(data["frames"][2]["boundary"]) == circles.boundary[2]


@pytest.mark.parametrize("kwargs, match", [
    (dict(dataset="iris"), "'dataset' parameter of record_training"),
    (dict(dataset="xor", sizes=[2, 4, 2]), "'sizes' parameter of record_training"),
    (dict(dataset="xor", sizes=[2, 1]), "'sizes' parameter of record_training"),
    (dict(dataset="xor", lr=0.0), "'lr' parameter of record_training"),
    (dict(dataset="xor", snapshots=1), "'snapshots' parameter of record_training"),
    (dict(dataset="xor", activation="softmax"), "'activation' parameter of record_training"),
])
def test_training_arguments_in_the_one_voice(kwargs, match):
    with pytest.raises(ValueError, match=match):
        record_training(**kwargs)


def test_cli_writes_both_pages(tmp_path, capsys):
    assert main(["explain", "--html", str(tmp_path / "step.html")]) == 0
    assert "open it in a web browser" in capsys.readouterr().out
    record = embedded((tmp_path / "step.html").read_text(), "chainrule-record")
    assert record["numbers"]["weights"]["w5"][2] == "0.358916480"
    assert main(["explain", "--html", str(tmp_path / "train.html"), "--train", "xor",
                 "--epochs", "3", "--snapshots", "2", "--network", "2-3-1", "--seed", "1"]) == 0
    data = embedded((tmp_path / "train.html").read_text(), "chainrule-training")
    assert data["sizes"] == [2, 3, 1] and [f["epoch"] for f in data["frames"]] == [0, 3]
    assert data["activation"] == "tanh"


@pytest.mark.parametrize("argv, message", [
    (["--train", "xor"], "give --html FILE as well"),
    (["--epochs", "3"], "give --html FILE as well"),
    (["--html", "PAGE", "--snapshots", "3"], "for the training view only"),
    (["--html", "PAGE", "--train", "xor", "--network", "2-3-2"], "a network 2-...-1"),
    (["--html", "PAGE", "--train", "moons", "--lr", "0"], "'lr' parameter"),
    (["--html", "NO_DIR/page.html"], "cannot write"),
])
def test_cli_mistakes_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    argv = [a.replace("PAGE", str(tmp_path / "p.html")).replace("NO_DIR", str(tmp_path / "no"))
            for a in argv]
    assert main(["explain", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule explain: error:") and message in err
    assert len(err.strip().splitlines()) == 1
