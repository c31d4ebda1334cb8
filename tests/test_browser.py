"""The built book, read in a real browser (headless Chromium driven by Playwright).

Every page of ``_toc.yml`` is served from localhost and opened; each must load without a console
error, a failed request or a request that leaves the machine (the book reads offline), show every
figure its notebook produced as a non-empty image, show no traceback, and link to its neighbours
in book order. Widget pages must render their widgets from the book's own copy of the ipywidgets
HTML manager. Two screenshots are written for CI to keep.

Which book: ``ME_CORE_BOOK_HTML`` names a built ``html`` folder (``make check-book`` sets it to
the quick book in ``_build/html``); without it, the session's smoke build is used. The browser is
Debian's ``chromium`` (``make test`` installs it when missing and run as root), or the executable
named by ``ME_CORE_CHROMIUM``; Playwright never downloads one.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest

from me_core.companion import book

pytestmark = pytest.mark.slow  # builds a book, or drives a browser

ROOT = Path(__file__).resolve().parents[1]
BOOK_HTML_ENV = "ME_CORE_BOOK_HTML"
CHROMIUM_ENV = "ME_CORE_CHROMIUM"
SCREENSHOT_DIR_ENV = "ME_CORE_SCREENSHOT_DIR"
DOCUMENTS = book.toc_documents(ROOT)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
SCREENSHOT_PAGES = ("book/intro", "notebooks/me_mechanism")  # a text page and a widget page

playwright_api = pytest.importorskip("playwright.sync_api")


def _chromium() -> str:
    found = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if found:
        return found
    message = ("no chromium found for the browser test: install Debian's chromium "
               "(`apt-get install chromium`; `make test` does it as root) or set "
               f"{CHROMIUM_ENV}=/path/to/chromium")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def built_book(request) -> Path:
    """The ``html`` folder under test; its executed notebooks are in the sibling ``src``."""
    named = os.environ.get(BOOK_HTML_ENV)
    if named:
        html = Path(named).resolve()
        assert (html / "index.html").exists(), f"{BOOK_HTML_ENV}={named}: no built book there"
        return html
    return request.getfixturevalue("smoke_book") / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@dataclass
class PageVisit:
    """What one page did while it loaded."""

    problems: list[str] = field(default_factory=list)
    local_requests: list[str] = field(default_factory=list)


def _open(browser, server: str, path: str, visit: PageVisit, viewport=None):
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})

    def on_console(message) -> None:
        if message.type == "error":
            visit.problems.append(f"console error: {message.text} "
                                  f"({message.location.get('url', '')})")

    def on_request(request) -> None:
        if request.url.startswith(server):
            visit.local_requests.append(request.url)
        elif urlsplit(request.url).scheme in ("http", "https", "ws", "wss"):
            visit.problems.append(f"request leaves the machine: {request.url}")

    def on_response(response) -> None:
        if response.status >= 400:
            visit.problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.problems.append(f"page error: {error}"))
    page.on("request", on_request)
    page.on("response", on_response)
    page.on("requestfailed", lambda request: visit.problems.append(
        f"request failed: {request.url} ({request.failure})"))
    response = page.goto(f"{server}/{path}.html", wait_until="networkidle")
    assert response is not None and response.ok, f"{path}.html: HTTP " \
        f"{response.status if response else 'no response'}"
    return page


def _notebook_outputs(built_book: Path, path: str) -> list[dict]:
    executed = built_book.parent / "src" / f"{path}.ipynb"
    if not executed.exists():
        return []
    cells = json.loads(executed.read_text())["cells"]
    return [output for cell in cells if cell["cell_type"] == "code"
            for output in cell.get("outputs", [])]


def _expected_figures(outputs: list[dict]) -> int:
    """Images the page must show: image outputs that are not widget views."""
    return sum(1 for output in outputs
               if any(kind in output.get("data", {}) for kind in IMAGE_TYPES)
               and WIDGET_VIEW not in output.get("data", {}))


def _expected_widgets(outputs: list[dict]) -> int:
    return sum(1 for output in outputs if WIDGET_VIEW in output.get("data", {}))


# every image of the page with its size once decoded: a lazily loaded widget figure (a file of
# the book, fetched when shown) is fetched and decoded here, hidden or not, so a missing or
# broken file is found without operating every control
_PAGE_IMAGES = """async () => Promise.all(Array.from(document.querySelectorAll('img')).map(
    async img => {
        let width = img.naturalWidth, height = img.naturalHeight;
        if (img.loading === 'lazy' && !img.complete || img.loading === 'lazy' && !width) {
            const probe = new Image();
            probe.src = img.src;
            try { await probe.decode(); } catch (e) {}
            width = probe.naturalWidth; height = probe.naturalHeight;
        }
        return {src: img.currentSrc.slice(-80) || img.src.slice(-80), width: width,
                height: height,
                figure: !!img.closest('.cell_output') && !img.closest('.jupyter-widgets')};
    }))"""


# scroll every shown widget figure into view and wait until it is decoded (a lazily loaded
# file of the book); returns their widths; the page ends scrolled back to the top
_LOAD_SHOWN_FIGURES = """async () => {
    const shown = Array.from(document.querySelectorAll('.jupyter-widgets img'))
        .filter(i => i.offsetParent !== null);
    const widths = [];
    for (const img of shown) {
        img.scrollIntoView();
        await img.decode();
        widths.push(img.naturalWidth);
    }
    window.scrollTo(0, 0);
    return widths;
}"""


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.path for d in DOCUMENTS])
def test_page_loads_clean_with_every_figure(browser, server, built_book, document):
    visit = PageVisit()
    page = _open(browser, server, document.path, visit)
    try:
        outputs = _notebook_outputs(built_book, document.path)
        widgets = _expected_widgets(outputs)
        if widgets:  # rendered by embed-amd.js after load; wait until every view is in the DOM
            page.wait_for_function(
                f"document.querySelectorAll('.cell_output .jupyter-widgets').length >= {widgets}",
                timeout=30_000)
        images = page.evaluate(_PAGE_IMAGES)
        empty = [image["src"] for image in images if image["width"] == 0 or image["height"] == 0]
        assert not empty, f"{document.path}: empty or broken images {empty}"
        figures = sum(image["figure"] for image in images)
        assert figures == _expected_figures(outputs), (
            f"{document.path}: {figures} figure images on the page, "
            f"{_expected_figures(outputs)} in the executed notebook")

        article = page.locator("article").inner_text()
        assert "Traceback (most recent call last)" not in article, document.path
        assert page.locator(".output.traceback, .output.error").count() == 0, document.path
        assert not visit.problems, f"{document.path}:\n" + "\n".join(visit.problems)
    finally:
        page.close()


def test_navigation_follows_the_table_of_contents(browser, server):
    """Previous/next links chain every page in _toc.yml order; every sidebar link resolves."""
    order = [f"{server}/{d.path}.html" for d in DOCUMENTS]
    sidebar_links: set[str] = set()
    for position, document in enumerate(DOCUMENTS):
        visit = PageVisit()
        page = _open(browser, server, document.path, visit)
        try:
            links = page.evaluate("""() => ({
                previous: document.querySelector('a.left-prev')?.href ?? null,
                next: document.querySelector('a.right-next')?.href ?? null,
                sidebar: Array.from(document.querySelectorAll('.bd-sidebar-primary a[href]'))
                              .map(a => a.href)})""")
        finally:
            page.close()
        previous = urldefrag(links["previous"])[0] if links["previous"] else None
        following = urldefrag(links["next"])[0] if links["next"] else None
        assert previous == (order[position - 1] if position > 0 else None), document.path
        assert following == (order[position + 1] if position + 1 < len(order) else None), \
            document.path
        sidebar_links.update(urldefrag(href)[0] for href in links["sidebar"]
                             if href.startswith(server))
    assert set(order) <= sidebar_links, set(order) - sidebar_links
    broken = []
    for link in sorted(sidebar_links):
        try:
            with urllib.request.urlopen(link) as response:
                response.read()
        except urllib.error.URLError:
            broken.append(link)
    assert not broken, f"sidebar links that do not resolve: {broken}"


def test_widget_page_renders_its_widgets_from_the_local_javascript(browser, server, built_book):
    """The me_mechanism page's buttons switch figures (files of the book, loaded when shown):
    every figure must decode and the shown ones render, with the HTML manager, require.js and
    the fonts served by the book itself."""
    visit = PageVisit()
    page = _open(browser, server, "notebooks/me_mechanism", visit)
    try:
        page.wait_for_selector(".jupyter-widgets .widget-toggle-buttons", timeout=30_000)
        page.wait_for_selector(".jupyter-widgets img", timeout=30_000)
        widths = [image["width"] for image in page.evaluate(_PAGE_IMAGES)]
        assert widths and all(width > 0 for width in widths), widths
        shown = page.evaluate(_LOAD_SHOWN_FIGURES)
        assert shown and all(width > 0 for width in shown), shown  # the shown ones render
        loaded = {urlsplit(url).path for url in visit.local_requests}
        assert {"/widgets/require.js", "/widgets/embed-amd.js",
                "/js/widgets-offline.js"} <= loaded, sorted(loaded)
        assert any(path.startswith("/widgets/") and path.endswith((".woff", ".woff2", ".ttf"))
                   for path in loaded), "the widget fonts were not loaded from /widgets/"
        assert not visit.problems, "\n".join(visit.problems)
    finally:
        page.close()


# the figures a widget box shows, as SHA-256 digests of their bytes (an Image widget's view
# renders its PNG through a fresh blob: URL each time, so URLs cannot be compared)
_VISIBLE_FIGURES = """async box => {
    const shown = Array.from(box.querySelectorAll('img')).filter(i => i.offsetParent !== null);
    const digests = [];
    for (const img of shown) {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        digests.push(Array.from(hash, b => b.toString(16).padStart(2, '0')).join(''));
    }
    return digests;
}"""


def _choose(control, kind: str, index: int) -> None:
    if kind == "select":
        control.select_option(index=index)
    else:
        control.locator("button").nth(index).click()


def _chosen(control, kind: str) -> tuple[int, int]:
    """(selected index, number of options) of a Dropdown or a ToggleButtons group."""
    if kind == "select":
        return control.evaluate("s => [s.selectedIndex, s.options.length]")
    return control.evaluate("""g => { const b = Array.from(g.querySelectorAll('button'));
        return [b.findIndex(x => x.classList.contains('mod-active')), b.length]; }""")


def _shown(page, box, before: list[str], changed: bool, timeout_ms: int = 5_000) -> list[str]:
    """The box's visible figure once it differs from ``before`` (changed) or equals it."""
    now = box.evaluate(_VISIBLE_FIGURES)
    for _ in range(timeout_ms // 100):
        if (now != before) == changed:
            break
        page.wait_for_timeout(100)
        now = box.evaluate(_VISIBLE_FIGURES)
    return now


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d.is_notebook],
                         ids=[d.path for d in DOCUMENTS if d.is_notebook])
def test_every_control_switches_its_figure_without_a_kernel(browser, server, built_book,
                                                            document):
    """Each control of each figure widget, operated in the static page (no kernel): the figure
    shown changes to another precomputed one, and back when the control is set back."""
    widgets = _expected_widgets(_notebook_outputs(built_book, document.path))
    if not widgets:
        pytest.skip("no widgets on this page")
    visit = PageVisit()
    page = _open(browser, server, document.path, visit)
    try:
        page.wait_for_function(
            f"document.querySelectorAll('.cell_output .jupyter-widgets').length >= {widgets}",
            timeout=30_000)
        boxes = page.locator(".cell_output .widget-vbox:has(img)")
        operated = []
        for b in range(boxes.count()):
            box = boxes.nth(b)
            controls = [("select", box.locator("select").nth(i))
                        for i in range(box.locator("select").count())]
            controls += [("toggle", box.locator(".widget-toggle-buttons").nth(i))
                         for i in range(box.locator(".widget-toggle-buttons").count())]
            for kind, control in controls:
                before = box.evaluate(_VISIBLE_FIGURES)
                assert len(before) == 1, f"{document.path}: {len(before)} figures shown at once"
                current, count = _chosen(control, kind)
                assert count > 1 and current >= 0, (document.path, kind, current, count)
                # another value must show another figure (two values may draw the same one)
                changed = None
                for other in [i for i in range(count) if i != current]:
                    _choose(control, kind, other)
                    after = _shown(page, box, before, changed=True)
                    if after != before:
                        changed = after
                        break
                assert changed is not None and len(changed) == 1, (
                    f"{document.path}: control {kind} #{len(operated)} changes no figure")
                _choose(control, kind, current)
                assert _shown(page, box, before, changed=False) == before, (
                    f"{document.path}: setting the control back does not restore the figure")
                operated.append(kind)
        assert operated, f"{document.path}: widgets but no control to operate"
        assert not visit.problems, f"{document.path}:\n" + "\n".join(visit.problems)
    finally:
        page.close()


def test_screenshots_for_ci(browser, server, built_book):
    """Full-page screenshots of a text page and a widget page, kept by CI as artifacts."""
    which = "named-book" if os.environ.get(BOOK_HTML_ENV) else "smoke-book"
    target = Path(os.environ.get(SCREENSHOT_DIR_ENV) or ROOT / "_build" / "browser-test" / which)
    target.mkdir(parents=True, exist_ok=True)
    for path in SCREENSHOT_PAGES:
        visit = PageVisit()
        page = _open(browser, server, path, visit)
        try:
            if page.locator(".jupyter-widgets").count():
                page.wait_for_selector(".jupyter-widgets img", timeout=30_000)
                # a full-page screenshot does not scroll: load the shown lazy figures first
                page.evaluate(_LOAD_SHOWN_FIGURES)
            shot = target / f"{path.replace('/', '--')}.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            page.close()
        assert shot.stat().st_size > 10_000, shot
        assert not visit.problems, f"{path}:\n" + "\n".join(visit.problems)
