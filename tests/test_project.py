"""Project wiring: dependency lists agree, the CLI parses, CI calls the README's test command."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {}
    for spec in project["dependencies"] + sum(project["optional-dependencies"].values(), []):
        req = Requirement(spec)
        wanted[_normalise(req.name)] = str(req.specifier)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    listed = {}
    for entry in env:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if item.startswith("-e") or re.match(r"^(python|pip|nodejs|c-compiler)\b", item):
                continue
            req = Requirement(item.replace("=", "==", 1) if re.match(r"^[\w-]+=[^=]", item)
                              else item)
            listed[_normalise(req.name)] = str(req.specifier)
    assert set(listed) == set(wanted), (
        f"only in pyproject: {sorted(set(wanted) - set(listed))}, "
        f"only in environment.yml: {sorted(set(listed) - set(wanted))}")
    for name, spec in wanted.items():
        if name == "torch":  # environment.yml pins the same exact build as constraints.txt
            assert Requirement(f"torch{listed[name]}").specifier.contains("2.13.0")
            continue
        assert listed[name] == spec, \
            f"{name}: pyproject {spec!r} vs environment.yml {listed[name]!r}"


def test_constraints_pin_torch_and_jupyter_book():
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().split()
                if "==" in line)
    assert pins["torch"] == "2.13.0"
    assert pins["jupyter-book"] == "1.0.4.post1"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:bash|sh)\n(.*?)```", readme, flags=re.S)[0].split("\n")
    commands = [c.split("#")[0].strip() for c in commands if c.split("#")[0].strip()]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.split("\n"), f"{commands[1]!r} not a line of .ci/run"


def test_the_product_cites_the_paper_not_our_working_notes():
    """Pages, CLI help and docstrings cite the paper's sections, figures and tables; our own
    notes on the paper are not part of the product and are never cited."""
    files = [*ROOT.glob("me_core/**/*.py"), *ROOT.glob("notebooks/*.py"), *ROOT.glob("book/*.md"),
             *ROOT.glob("book/*.py"), ROOT / "README.md", ROOT / "results" / "README.md"]
    cited = [f"{p.relative_to(ROOT)}:{n}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
             if re.search(r"\bSPEC\b|shared/notes|shared/paper", line)]
    assert not cited, cited


def test_make_lab_installs_pinned_jupyterlab_that_opens_chapters_as_notebooks():
    """The documented notebook set-up: `make lab` installs the `lab` extra under
    constraints.txt (which pins jupyterlab) and copies settings under which a chapter's .py
    opens as a Jupytext notebook."""
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().split()
                if "==" in line)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["lab"]
    for spec in extras:
        assert Requirement(spec).specifier.contains(pins[Requirement(spec).name]), spec
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("$(LAB_STAMP): ", 1)[1].split("\n\n", 1)[0]
    assert '-c constraints.txt -e ".[lab]"' in recipe
    assert "notebooks/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/" in recipe
    import json
    settings = json.loads((ROOT / "notebooks" / "jupyterlab-overrides.json").read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"


def _string_constants(tree):
    """String constants of a module, docstrings left out."""
    import ast

    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                       ast.ClassDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def test_environment_variables_are_named_in_one_module_and_documented():
    """me_core.environment names and reads every ME_CORE_* variable; no other module holds
    one's name (help text may mention $NAME), and the README's table lists each."""
    import ast

    from me_core import environment

    spelled = {}
    for path in (ROOT / "me_core").rglob("*.py"):
        if path.name == "environment.py":
            continue
        for text in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            if re.fullmatch(r"ME_CORE_[A-Z_]+", text):
                spelled.setdefault(text, []).append(str(path.relative_to(ROOT)))
    assert not spelled, spelled
    readme = (ROOT / "README.md").read_text()
    for name, what in environment.VARIABLES.items():
        assert f"| `{name}` | {what} |" in readme, name


def test_constraints_pin_every_package_an_install_pulls_in():
    """Every distribution that ``pip install -e ".[book,test,ray]"`` pulls in (me-core's
    requirements with those extras, followed through each installed package's own) has an
    exact pin in constraints.txt: an unpinned one lets pip backtrack through its releases
    and makes two fresh clones install different code."""
    from importlib import metadata

    from packaging.requirements import Requirement

    pins = {_normalise(line.split("==", 1)[0])
            for line in (ROOT / "constraints.txt").read_text().split() if "==" in line}
    todo, seen = [("me-core", {"book", "test", "ray"})], set()
    while todo:
        name, extras = todo.pop()
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                continue
            wanted = _normalise(req.name)
            if wanted not in seen:
                seen.add(wanted)
                todo.append((req.name, set(req.extras)))
    assert seen, "me-core's requirements not found: is it installed (make venv)?"
    seen -= {"pip", "setuptools", "wheel"}  # the installer's own, which the venv brings
    assert not seen - pins, f"not pinned in constraints.txt: {sorted(seen - pins)}"
