"""Regenerate the screenshots of the web pages in docs/ (README shows them).

    python docs/screenshots.py                      # the explain pages
    python docs/screenshots.py --report results     # and results/index.html

It drives the system's Chromium through Playwright, as the browser tests do
(pip install -e '.[test]'; Debian: apt-get install chromium), and saves small PNGs
(256 colours).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from chainrule.explainer import classic_example
from chainrule.explainer.html import explain_page, training_page
from chainrule.explainer.training_view import record_training

DOCS = Path(__file__).parent
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def shoot(browser, url, path, actions=(), height=900, ready=True):
    page = browser.new_page(viewport={"width": 1280, "height": height})
    page.goto(url)
    if ready:                                        # the explain pages say when they are drawn
        page.wait_for_selector("body[data-ready='1']", timeout=10000)
    for action in actions:
        action(page)
    page.wait_for_timeout(400)                       # let the transitions end
    page.screenshot(path=str(path))
    page.close()
    image = Image.open(path).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"{path} ({path.stat().st_size // 1024} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="a study report folder with index.html")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    step = folder / "step.html"
    model, x, target = classic_example()
    step.write_text(explain_page(model, x, target))
    train = folder / "train.html"
    train.write_text(training_page(record_training("moons")))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        # the backward pass of hidden neuron h1: the chain rule through both outputs
        shoot(browser, step.as_uri(), DOCS / "explain_page.png", height=760,
              actions=[lambda p: p.click("button[data-kind=backward]"),
                       lambda p: p.keyboard.press("ArrowRight"),
                       lambda p: p.keyboard.press("ArrowRight")])
        shoot(browser, train.as_uri(), DOCS / "training_view.png", height=1000,
              actions=[lambda p: p.click("button[data-kind=gradients]")])
        if args.report:
            index = Path(args.report).resolve() / "index.html"
            shoot(browser, index.as_uri(), DOCS / "study_report.png", height=900, ready=False)
        browser.close()
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
