"""``index.html`` of a study report in a real browser: navigation, plots beside their tables,
tables that sort, and every link and image resolving (headless Chromium, see conftest)."""
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from chainrule.studies import report, runner
from chainrule.studies import spec as S


@pytest.fixture
def two_studies(tmp_path, study_file):
    """A report with two tiny iris studies (the conftest's study, the second renamed)."""
    out = tmp_path / "out"
    for name, factors in [("tiny", '"model.activation" = ["relu", "tanh"]'),
                          ("tiny_lr", '"optimizer.lr" = [0.3, 0.01, 0.1]')]:
        path = study_file(seeds=1, epochs=1, factors=factors, name=f"{name}.toml",
                          replace={'name = "tiny"': f'name = "{name}"'})
        runner.run(S.load(path), out, jobs=1, progress=False)
    report.build(out)
    return out


def test_index_page_links_images_navigation_and_sorting(page, two_studies):
    index = two_studies / "index.html"
    text = index.read_text()
    assert "<link" not in text and "<script src" not in text and "http" not in text
    page.goto(index.as_uri())

    # every link resolves: an anchor to an element of the page, or a file of the report
    for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
        url = urlparse(href)
        assert url.scheme == "file", href
        if url.fragment:
            assert page.query_selector(f"[id='{url.fragment}']") is not None, href
        else:
            assert Path(unquote(url.path)).is_file(), href
    images = page.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert [src for src, *_ in images] == ["tiny/plot.png", "tiny_lr/plot.png"]
    assert all(complete and width > 300 for _, complete, width in images)

    nav = page.eval_on_selector_all("nav.studies a[data-study]", "as => as.map(a => a.textContent)")
    assert nav == ["1. tiny", "2. tiny_lr"]
    page.click("nav.studies a[data-study=tiny_lr]")
    page.wait_for_function("document.querySelector('nav a.here') && "
                           "document.querySelector('nav a.here').dataset.study === 'tiny_lr'",
                           timeout=5000)

    # the plot sits beside its table, not below it
    table = page.query_selector("#tiny table").bounding_box()
    plot = page.query_selector("#tiny figure.plot img").bounding_box()
    assert plot["x"] > table["x"] + table["width"] - 1 and plot["y"] < table["y"] + table["height"]

    # a click on a header sorts by it; numbers by value, a second click reverses the order
    first_column = "#tiny_lr table tbody tr td:first-child"
    rows = lambda: page.eval_on_selector_all(first_column,      # noqa: E731
                                             "tds => tds.map(td => td.textContent)")
    assert rows() == ["0.3", "0.01", "0.1"]                # the study's order
    header = page.query_selector("#tiny_lr table th")
    header.click()
    assert rows() == ["0.01", "0.1", "0.3"] and header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert rows() == ["0.3", "0.1", "0.01"] and header.get_attribute("aria-sort") == "descending"
