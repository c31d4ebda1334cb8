"""The book pipeline: profiles, strict failures, and one smoke build of the whole book."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import SMOKE_REPOSITORY_URL

from me_core.companion import book, publish

# builds a book (which fetches MovieLens, the text model and flights from the registry)
pytestmark = [pytest.mark.slow, pytest.mark.network]

ROOT = Path(__file__).resolve().parents[1]


def test_every_toc_notebook_has_a_parameters_cell_and_profiles():
    documents = book.toc_documents(ROOT)
    notebooks = [d for d in documents if d.is_notebook]
    assert notebooks, "no notebooks in _toc.yml"
    profiles = book.load_profiles(ROOT)
    assert {"smoke", "quick", "paper"} <= set(profiles)
    for document in notebooks:
        params = book.notebook_parameters(book.read_notebook(document.source))
        assert params, document.source
        if not document.path.startswith("book/"):
            for profile in ("smoke", "quick", "paper"):
                assert document.name in profiles[profile], (profile, document.name)


def test_chapters_start_longest_first_and_unmeasured_ones_before_them():
    chapters = [d for d in book.toc_documents(ROOT)
                if d.is_notebook and not d.path.startswith("book/")]
    seconds = {d.path: float(i) for i, d in enumerate(chapters)}  # the last is the longest
    new = chapters[1]
    del seconds[new.path]
    seconds["notebooks/a_chapter_since_removed"] = 1e6
    order = book.longest_first(chapters, seconds)
    assert order[0] is new and order[1] is chapters[-1] and order[-1] is chapters[0]
    assert sorted(d.path for d in order) == sorted(d.path for d in chapters)
    assert book.longest_first(chapters, {}) == chapters  # nothing measured: the toc order
    # the committed times name only chapters of the table of contents
    measured = yaml.safe_load((ROOT / book.TIMINGS_FILE).read_text())["quick"]
    assert set(measured) <= {d.path for d in chapters}


def test_smoke_book_has_every_chapter(smoke_book):
    html = smoke_book / "html"
    for document in book.toc_documents(ROOT):
        page = html / f"{document.path}.html"
        assert page.exists(), page
        assert "Traceback" not in page.read_text()
    toy = (html / "notebooks" / "evidence2_toy.html").read_text()
    assert "Figure 4 (ours)" in toy and re.search(r'<img [^>]*src="\.\./_images/\w+\.png"', toy)
    assert "The spectral decomposition equals the autograd" in toy
    assert "application/vnd.jupyter.widget-state+json" in toy
    assert 'src="../widgets/require.js"' in toy or "widgets/require.js" in toy
    assert (html / "widgets" / "embed-amd.js").stat().st_size > 100_000
    assert "../mathjax/tex-mml-chtml.js" in toy  # formulas render without a CDN
    assert (html / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    status = (html / "book" / "status.html").read_text()
    assert "Figure 4" in status and "evidence2_toy.html" in status
    # launch buttons open the notebook's .ipynb twin on the launch branch
    # (me_core.companion.publish)
    owner_repo = SMOKE_REPOSITORY_URL.removeprefix("https://github.com/")
    assert (f"https://mybinder.org/v2/gh/{owner_repo}/launch?urlpath=lab/tree/"
            "notebooks/evidence2_toy.ipynb") in toy
    assert (f"https://colab.research.google.com/github/{owner_repo}/blob/launch/"
            "notebooks/evidence2_toy.ipynb") in toy


def _mini_book(tmp_path: Path, body: str, params: dict) -> Path:
    (tmp_path / "notebooks").mkdir()
    shutil.copy2(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: notebooks/page\n")
    (tmp_path / "notebooks" / "page.py").write_text(textwrap.dedent(f"""\
        # %% [markdown]
        # # A page

        # %% tags=["parameters"]
        value = 1

        # %%
        {body}
        """))
    (tmp_path / "notebooks" / "profiles.yml").write_text(
        yaml.safe_dump({"smoke": {"page": params}, "quick": {}, "paper": {}}))
    return tmp_path


def test_book_without_a_repository_url_has_no_launch_buttons(tmp_path, monkeypatch):
    monkeypatch.delenv(publish.REPOSITORY_URL_ENV, raising=False)
    root = _mini_book(tmp_path, "print('fine')", {"value": 2})
    for assets in ("_extra", "_assets"):  # the files _config.yml serves (make fetches _extra)
        shutil.copytree(ROOT / "book" / assets, root / "book" / assets)
    html = book.build("smoke", tmp_path / "_build", root=root, echo=lambda *_: None)
    page = (html / "notebooks" / "page.html").read_text()
    assert "fine" in page
    assert "mybinder" not in page and "colab" not in page
    # papermill's injected parameters are collapsed on the page (one click away)
    assert re.search(r'class="cell tag_injected-parameters tag_hide-input', page)


def test_every_chapters_parameters_cell_is_collapsed_on_its_page():
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        cells = book.read_notebook(source).cells
        tagged = [c.metadata.get("tags", []) for c in cells
                  if "parameters" in c.metadata.get("tags", [])]
        assert tagged and all("hide-input" in tags for tags in tagged), source.name


def test_broken_notebook_fails_the_pipeline(tmp_path):
    root = _mini_book(tmp_path, "raise RuntimeError('broken on purpose')", {"value": 2})
    with pytest.raises(book.BookError, match="broken on purpose"):
        book.build("smoke", tmp_path / "_build", root=root, echo=lambda *_: None)
    assert not (tmp_path / "_build" / "html").exists()


def test_broken_notebook_fails_a_direct_jupyter_book_build(tmp_path):
    """The root _config.yml makes a plain `jupyter-book build -W` fail on a notebook error."""
    root = _mini_book(tmp_path, "raise RuntimeError('broken on purpose')", {})
    result = subprocess.run(
        [*book._jupyter_book_command(), "build", str(root), "--all", "-W", "-n", "--keep-going"],
        capture_output=True, text=True,
    )
    assert result.returncode != 0
    assert "broken on purpose" in result.stdout + result.stderr


def test_profile_errors_name_the_problem(tmp_path):
    root = _mini_book(tmp_path, "print(value)", {"valeu": 2})
    with pytest.raises(book.BookError, match=r"it does not accept the parameters \['valeu'\] \(its "
                                                 r"parameters cell declares \['value'\]\)"):
        book.build("smoke", tmp_path / "_build", root=root, echo=lambda *_: None)
    with pytest.raises(book.BookError, match="unknown profile 'fast'"):
        book.build("fast", tmp_path / "_build", root=root, echo=lambda *_: None)


def test_cli_reports_errors_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "me_core", "book", "--profile", "nope",
                             "--build-dir", str(tmp_path)], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2
    assert "unknown profile 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_build_gives_its_kernels_the_environment_and_leaves_the_callers_alone(tmp_path,
                                                                              monkeypatch):
    """The kernel sees the build's findings folder and profile; the calling process's
    os.environ is the same after the build as before."""
    import os

    from me_core import environment

    monkeypatch.delenv(environment.SUMMARY_DIR, raising=False)
    monkeypatch.delenv(environment.PROFILE, raising=False)
    body = ("import os; print('SEEN', os.environ.get('ME_CORE_PROFILE'), "
            "os.environ.get('ME_CORE_SUMMARY_DIR'))")
    root = _mini_book(tmp_path, body, {"value": 2})
    before = dict(os.environ)
    stage = book.build("smoke", tmp_path / "_build", root=root, html=False,
                       echo=lambda *_: None)
    assert dict(os.environ) == before
    executed = (stage / "notebooks" / "page.ipynb").read_text()
    assert f"SEEN smoke {tmp_path / '_build' / 'summaries'}" in executed
