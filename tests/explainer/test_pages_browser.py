"""The explain pages in a real browser (headless Chromium through Playwright; see conftest).

Every number that the step view shows is read off the page and compared with the text
trace, ``str(explain(...))`` -- what ``chainrule explain`` prints -- parsed back here.
"""
import re

import pytest

from chainrule.explainer import classic_example, explain
from chainrule.explainer.html import explain_page, training_page
from chainrule.explainer.training_view import record_training

NUMBER = r"-?\d+\.\d{9}|-?\d\.\d{6}e[-+]\d+"          # tables.fmt's two forms


def trace_numbers(text: str) -> dict:
    """``{"w5.updated": "0.358916480", "h1.delta": ..., "E": ..., "E.after": ...}`` parsed
    from the text tables, keyed as the page keys its numbers (``data-q``)."""
    numbers, table = {}, None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.split()[0] in ("Network", "Forward",
                                                                  "Error:", "Backward",
                                                                  "Training:"):
            table = line.split(",")[0].split(":")[0]
            continue
        found = re.findall(NUMBER, line)
        name = line.split()[0] if line.strip() else ""
        if table == "Forward pass" and len(found) == 2:
            numbers[f"{name}.net"], numbers[f"{name}.out"] = found
        elif table == "Error" and len(found) == 3:
            numbers[f"{name}.target"] = found[0]
        elif table == "Error" and line.startswith("Total error E = "):
            numbers["E"] = line.split(" = ")[1]
        elif table == "Backward pass" and "->" not in line and len(found) == 3:
            for quantity, value in zip(("dE_dout", "dout_dnet", "delta"), found):
                numbers[f"{name}.{quantity}"] = value
        elif table == "Backward pass" and "->" in line and len(found) == 6:
            numbers[f"{name}.value"], numbers[f"{name}.grad"] = found[0], found[4]
            numbers[f"{name}.updated"] = found[5]
            source = line.split()[1]
            if source.startswith("i"):                      # dnet/dw of an input weight
                numbers[f"{source}.out"] = found[3]
        elif table == "Training" and re.match(r"^1\s", line):
            numbers["E.after"] = found[0]
    return numbers


def open_page(page, tmp_path, text, name="page.html"):
    path = tmp_path / name
    path.write_text(text)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready='1']")
    return page


def shown(page) -> dict:
    """The numbers in the formula panel now: ``{data-q: text}``."""
    return page.eval_on_selector_all(
        ".formula .num",
        "spans => Object.fromEntries(spans.map(s => [s.dataset.q, s.textContent]))")


def phase(page) -> tuple:
    return (page.get_attribute("#step-view", "data-kind"),
            page.inner_text(".phase-title"))


@pytest.fixture(scope="module")
def classic():
    model, x, target = classic_example()
    return explain_page(model, x, target), str(explain(model, x, target))


def test_clicking_through_every_phase_of_the_classic_example(page, tmp_path, classic):
    text, trace = classic
    expected = trace_numbers(trace)
    open_page(page, tmp_path, text)
    kinds, checked = [], 0
    total = int(page.inner_text(".counter").split()[-1])
    for index in range(total):
        kind, title = phase(page)
        kinds.append(kind)
        for quantity, value in shown(page).items():
            assert value == expected[quantity], (title, quantity)
            checked += 1
        if index < total - 1:
            page.click("button[data-action=next]")
    assert kinds == ["forward"] * 4 + ["error"] + ["backward"] * 4 + ["gradients"] * 4 + \
        ["update"] * 2
    assert checked > 60                                 # every phase showed its numbers
    page.click("button[data-action=next]")              # past the end: stays at the end
    assert page.get_attribute("#step-view", "data-phase") == str(total - 1)


def test_w5_after_one_step_is_read_off_the_page(page, tmp_path, classic):
    open_page(page, tmp_path, classic[0])
    page.click("button[data-kind=update]")
    page.click("button[data-action=next]")                # the output layer's update
    assert "output layer" in page.inner_text(".phase-title")
    assert float(page.inner_text(".num[data-q='w5.updated']")) == pytest.approx(0.35891648,
                                                                                abs=1e-9)
    assert page.inner_text(".num[data-q='E.after']") == "0.291027774"
    # the drawing shows the new weight on w5's edge, drawn thinner than before
    assert page.text_content("text.edge-label[data-weight=w5]") == "w5 0.3589"


def test_the_drawing_lights_up_what_each_phase_uses(page, tmp_path, classic):
    open_page(page, tmp_path, classic[0])
    lit = lambda: sorted(page.eval_on_selector_all(     # noqa: E731
        "line.edge.lit", "lines => lines.map(l => l.dataset.weight)"))
    assert phase(page)[0] == "forward" and lit() == ["b_h1", "w1", "w2"]
    assert page.get_attribute("g.neuron[data-neuron=h1]", "class") == "neuron lit focus"
    page.click("button[data-kind=backward]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")                     # o1, o2, then the hidden h1
    assert phase(page) == ("backward", "Backward: delta of h1")
    assert lit() == ["w5", "w7"]                         # the weights that carry h1's output
    assert page.text_content("g.neuron[data-neuron=o1] .neuron-value") == "δ 0.1385"
    page.keyboard.press("ArrowLeft")
    assert phase(page) == ("backward", "Backward: delta of o2")
    page.click("button[data-action=first]")
    assert page.get_attribute("#step-view", "data-phase") == "0"
    page.click("button[data-action=play]")
    page.wait_for_function("document.getElementById('step-view').dataset.phase === '1'",
                           timeout=5000)
    page.click("button[data-action=play]")                # pause
    assert page.inner_text("button[data-action=play]") == "▶ play"


def test_graph_and_trace_are_on_the_page(page, tmp_path, classic):
    open_page(page, tmp_path, classic[0])
    page.click("#graph summary")
    ops = page.eval_on_selector_all("#graph g.node.op text:first-of-type",
                                    "texts => texts.map(t => t.textContent)")
    assert ops.count("linear") == 2 and ops.count("sigmoid") == 2
    assert page.is_visible("#graph svg") and page.eval_on_selector(
        "#graph svg", "svg => svg.getBBox().width") > 300
    page.click("#trace summary")
    assert page.inner_text("pre.trace").strip() == classic[1].strip()


def test_several_steps_end_with_a_summary(page, tmp_path):
    model, x, target = classic_example()
    open_page(page, tmp_path, explain_page(model, x, target, steps=50, update_bias=True,
                                           graph=False))
    expected = trace_numbers(str(explain(model, x, target, steps=50, update_bias=True)))
    page.click("button[data-action=last]")
    assert phase(page) == ("summary", "After 50 steps")
    assert page.inner_text(".num[data-q='E.final']") == re.search(
        r"Error after 50 steps: (\S+);", str(explain(model, x, target, steps=50,
                                                      update_bias=True))).group(1)
    page.click("button[data-kind=update]")
    for quantity, value in shown(page).items():           # biases are updated this time
        assert value == expected[quantity]
    assert "b_h1.updated" in shown(page)
    assert page.eval_on_selector("svg.loss-curve polyline", "p => p.points.length") == 51
    assert not page.is_visible("#graph")


@pytest.fixture(scope="module")
def xor_recording():
    return record_training("xor", epochs=8, snapshots=4, explained=4)


def test_training_view_slider_play_and_a_point_opens_its_backward_pass(page, tmp_path,
                                                                       xor_recording):
    recording = xor_recording
    open_page(page, tmp_path, training_page(recording))
    picture = lambda: page.eval_on_selector("#boundary", "c => c.toDataURL()")   # noqa: E731
    last = picture()
    assert page.get_attribute("#boundary", "data-epoch") == "8"
    page.focus("#epoch")
    page.keyboard.press("Home")                                  # the slider to epoch 0
    assert page.get_attribute("#boundary", "data-epoch") == "0"
    assert picture() != last                                     # the boundary moved
    assert page.inner_text("#epoch-label").startswith("epoch 0 of 8")
    maps = page.eval_on_selector_all("#maps canvas", "cs => cs.map(c => c.dataset.neuron)")
    assert maps == ["h1", "h2", "h3", "h4"]

    page.keyboard.press("ArrowRight")                            # epoch 1 (snapshot 1)
    page.click("circle.point[data-explained='2']")
    assert "at epoch 1" in page.inner_text("#trace-title")
    assert phase(page) == ("backward", "Backward: delta of o1")
    expected = trace_numbers(str(explain(recording.model_at(1), *recording.example(2),
                                         loss="bce", lr=recording.lr)))
    checked = 0
    for _ in range(6):                                           # o1, the hidden ones, ...
        for quantity, value in shown(page).items():
            assert value == expected[quantity], quantity
            checked += 1
        page.click("button[data-action=next]")
    assert checked > 20
    # delta at a sigmoid output with binary cross-entropy is out - target
    page.click("button[data-kind=backward]")
    delta, out = float(expected["o1.delta"]), float(expected["o1.out"])
    assert delta == pytest.approx(out - float(recording.example(2)[1][0]), abs=2e-9)

    page.click("#play")                                          # play runs to the last epoch
    page.wait_for_function("document.getElementById('boundary').dataset.epoch === '8'",
                           timeout=10000)
    assert "at epoch 8" in page.inner_text("#trace-title")
