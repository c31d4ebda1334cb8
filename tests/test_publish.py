"""Publishing: repository URL discovery, launch notebooks, and the workflow that uses them."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from me_core.companion import book, publish

ROOT = Path(__file__).resolve().parents[1]
URL = "https://github.com/me-core-tests/companion"


@pytest.mark.parametrize("remote", [
    "https://github.com/me-core-tests/companion",
    "https://github.com/me-core-tests/companion.git",
    "https://github.com/me-core-tests/companion/",
    "https://x-access-token:secret@github.com/me-core-tests/companion.git",
    "git@github.com:me-core-tests/companion.git",
    "ssh://git@github.com/me-core-tests/companion.git",
])
def test_repository_urls_are_normalised(remote):
    assert publish.normalize_repository_url(remote) == URL


@pytest.mark.parametrize("bad", ["companion", "/srv/git/companion", "https://github.com/owner",
                                 "ftp://github.com/a/b"])
def test_bad_repository_url_names_its_source(bad):
    with pytest.raises(ValueError, match=r"--repository-url .*expected"):
        publish.normalize_repository_url(bad, "--repository-url")


def _git_repo(path: Path, origin: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


def test_repository_url_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv(publish.REPOSITORY_URL_ENV, raising=False)
    repo = _git_repo(tmp_path / "clone", "git@github.com:from-origin/companion.git")
    assert publish.repository_url(repo) == "https://github.com/from-origin/companion"
    monkeypatch.setenv(publish.REPOSITORY_URL_ENV, "https://gitlab.com/from-env/companion")
    assert publish.repository_url(repo) == "https://gitlab.com/from-env/companion"
    assert publish.repository_url(repo, URL + ".git") == URL
    monkeypatch.setenv(publish.REPOSITORY_URL_ENV, "nonsense")
    with pytest.raises(ValueError, match=publish.REPOSITORY_URL_ENV):
        publish.repository_url(repo)


def test_no_usable_remote_means_no_url(tmp_path, monkeypatch):
    monkeypatch.delenv(publish.REPOSITORY_URL_ENV, raising=False)
    assert publish.repository_url(tmp_path) is None  # not a git repository
    local_clone = _git_repo(tmp_path / "clone", str(tmp_path / "upstream"))
    assert publish.repository_url(local_clone) is None  # a clone of a local folder (as CI's)


def test_apply_repository_fills_the_url_and_switches_the_buttons_on():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]
    assert config["repository"]["url"] == "" and not config["html"]["use_repository_button"]
    with_url = publish.apply_repository(config, URL)
    assert with_url["repository"]["url"] == URL
    assert with_url["repository"]["branch"] == publish.launch_branch(ROOT)
    assert with_url["html"]["use_repository_button"] and with_url["html"]["use_issues_button"]
    assert with_url["launch_buttons"] == config["launch_buttons"]
    assert config["repository"]["url"] == ""  # the input is not modified
    without = publish.apply_repository(config, None)
    assert "launch_buttons" not in without and without["repository"]["url"] == ""
    assert "launch_buttons" in config  # the input is not modified


def test_launch_notebooks_are_valid_and_set_up_colab(tmp_path):
    branch = publish.launch_branch(ROOT)
    written = publish.write_launch_notebooks(ROOT, URL + ".git", branch, out=tmp_path)
    notebooks = [d for d in book.toc_documents(ROOT) if d.is_notebook]
    assert sorted(written) == sorted(tmp_path / d.source.relative_to(ROOT).with_suffix(".ipynb")
                                     for d in notebooks)
    for path, document in zip(sorted(written), sorted(notebooks, key=lambda d: str(d.source))):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        setup = notebook.cells[0].source
        assert '"google.colab" in sys.modules' in setup
        assert f'"--branch", "{branch}"' in setup and f'"{URL}"' in setup
        tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert book.notebook_parameters(notebook) == \
            book.notebook_parameters(book.read_notebook(document.source))


@pytest.mark.slow
def test_launch_notebooks_cli(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "me_core", "launch-notebooks", "--repository-url", URL,
         "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    printed = [Path(line) for line in result.stdout.split()]
    assert printed and all(path.exists() and tmp_path in path.parents for path in printed)

    bad = subprocess.run(
        [sys.executable, "-m", "me_core", "launch-notebooks", "--repository-url", "companion",
         "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2
    assert "--repository-url 'companion'" in bad.stderr and "Traceback" not in bad.stderr


def test_publishing_workflow_runs_what_ci_runs_and_deploys():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())
    build_steps = workflow["jobs"]["build"]["steps"]
    commands = [step.get("run", "") for step in build_steps]
    for target in ("make test", "make book", "make check-book"):
        assert target in commands, target
        assert target in (ROOT / ".ci" / "run").read_text(), target
    uses = [step.get("uses", "") for step in build_steps]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    pages_step = next(s for s in build_steps
                      if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert pages_step["with"]["path"] == "_build/html"
    assert any(u.startswith("actions/upload-artifact") for u in uses)  # the screenshots
    deploy = workflow["jobs"]["deploy"]["steps"]
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in deploy)
    assert "launch-notebooks" in "\n".join(commands)
    assert publish.REPOSITORY_URL_ENV in workflow["jobs"]["build"]["env"]
