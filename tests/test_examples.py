"""The CI examples (examples/), the worked puzzle of docs/puzzle-format.md, the README set-up."""

from __future__ import annotations

import ast
import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from click.testing import CliRunner

import adgrader
from adgrader.cli import main
from adgrader.report import json as json_report
from adgrader.spec import load_set_dir

from .conftest import Grade

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / "github-classroom" / ".github" / "workflows" / "adgrader.yml"
GITLAB = EXAMPLES / "gitlab" / ".gitlab-ci.yml"
GRADESCOPE = EXAMPLES / "gradescope"
DOC = ROOT / "docs" / "puzzle-format.md"
SOFTMAX_SET = ROOT / "docs" / "examples" / "softmax-set"
SOFTMAX_ANSWERS = ROOT / "docs" / "examples" / "softmax_answers.py"

# A learner's file with two answers: relu is right, neg has the wrong sign.
SMALL_SUBMISSION = """\
def jac_relu(x):
    return (x > 0) * (Os == Is)


def jac_neg(x):
    return 1.0 * (Os == Is)
"""
NEG_LINE = 5

WRONG_ANSWERS = """\
def jac_softmax(x):
    return f(x)[:, None] * (Os == Is)  # forgets the -s_o s_i term


def fb_soft(x):
    s = np.exp(x) / np.exp(x).sum()
    return (lambda o: s[o]), (lambda i, o: s[o] * (i == o))
"""


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in _steps(job))


def _without_function(source: str, name: str) -> str:
    """`source` with the top-level function `name` removed."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            assert node.end_lineno is not None
            del lines[node.lineno - 1 : node.end_lineno]
            break
    else:
        raise AssertionError(f"no function {name} in the source")
    return "".join(lines)


# ---------------------------------------------------------------- (a) CI files


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def classroom_job(workflow: dict[str, Any]) -> dict[str, Any]:
    jobs = workflow["jobs"]
    assert len(jobs) == 1
    return next(iter(jobs.values()))


def test_github_workflow_triggers_and_runner(
    workflow: dict[str, Any], classroom_job: dict[str, Any]
) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert {"push", "pull_request"} <= set(triggers)
    assert classroom_job["runs-on"] == "ubuntu-latest"
    setup = [
        s
        for s in _steps(classroom_job)
        if str(s.get("uses", "")).startswith("actions/setup-python@")
    ]
    assert setup and str(setup[0]["with"]["python-version"]) == "3.11"
    assert "ADGRADER_SOURCE" in workflow["env"], "the install source is set at the top"
    assert 'pip install "$ADGRADER_SOURCE"' in _runs(classroom_job)


def test_github_workflow_grades_with_secret_seed(classroom_job: dict[str, Any]) -> None:
    env = dict(classroom_job.get("env", {}))
    for step in _steps(classroom_job):
        if "adgrader check" in str(step.get("run", "")):
            env.update(step.get("env", {}))
    assert env["ADGRADER_SEED"].replace(" ", "") == "${{secrets.ADGRADER_SEED}}"
    assert env["JAX_PLATFORMS"] == "cpu"
    runs = _runs(classroom_job)
    assert "adgrader check submission.py --set jax --format github" in runs
    assert re.search(r"adgrader check submission\.py .*--format json -o \S+\.json", runs)


def test_github_workflow_reports_points(classroom_job: dict[str, Any]) -> None:
    steps = _steps(classroom_job)
    reporter = [s for s in steps if "autograding-grading-reporter@" in str(s.get("uses", ""))]
    assert len(reporter) == 1
    runner = reporter[0]["with"]["runners"]
    assert runner in {s.get("id") for s in steps}, "the reporter names a step of the job"
    assert f"steps.{runner}.outputs.result" in reporter[0]["env"][f"{runner.upper()}_RESULTS"]


def test_github_points_step_turns_a_report_into_a_reporter_result(
    classroom_job: dict[str, Any], tmp_path: Path, softmax_wrong_report: adgrader.Report
) -> None:
    """Run the workflow's points script on a real JSON report, as Actions would."""
    step = next(s for s in _steps(classroom_job) if s.get("shell") == "python")
    (tmp_path / "adgrader-report.json").write_text(
        json_report.render(softmax_wrong_report), encoding="utf-8"
    )
    script = tmp_path / "points.py"
    script.write_text(step["run"], encoding="utf-8")
    output = tmp_path / "github_output"
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Points 0/2" in done.stdout
    key, _, value = output.read_text(encoding="utf-8").strip().partition("=")
    assert key == "result"
    result = json.loads(base64.b64decode(value))
    assert result["max_score"] == 2
    assert result["status"] == "fail"
    assert [(t["status"], t["score"]) for t in result["tests"]] == [("fail", 0)]


def test_gitlab_job_keeps_a_junit_report() -> None:
    data = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    jobs = [v for k, v in data.items() if isinstance(v, dict) and "script" in v]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["image"] == "python:3.11-slim"
    assert "ADGRADER_SOURCE" in data["variables"], "the install source is set at the top"
    script = "\n".join(job["script"])
    assert 'pip install "$ADGRADER_SOURCE"' in script
    assert "adgrader check submission.py --format junit -o adgrader-junit.xml" in script
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "adgrader-junit.xml"


# ---------------------------------------------------------------- (b) the softmax puzzle


@pytest.fixture(scope="module")
def softmax_wrong_report(tmp_path_factory: pytest.TempPathFactory, grade: Grade) -> adgrader.Report:
    path = tmp_path_factory.mktemp("softmax") / "wrong_jac.py"
    path.write_text(_without_function(WRONG_ANSWERS, "fb_soft"), encoding="utf-8")
    return grade(path, puzzles_dir=SOFTMAX_SET)


def test_softmax_set_loads() -> None:
    pset = load_set_dir(SOFTMAX_SET)
    assert [p.id for p in pset.puzzles] == ["softmax"]
    softmax = pset.puzzles[0]
    assert softmax.jac_shape("x") == (5, 5)
    assert softmax.score == 2
    assert len(softmax.probes) == 2
    assert "fb_soft" in softmax.answer_names()["dx"]


def test_softmax_files_are_the_ones_in_the_doc() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name in ("set.yaml", "softmax.yaml"):
        text = (SOFTMAX_SET / name).read_text(encoding="utf-8")
        assert f"```yaml\n{text}```" in doc, f"{name} differs from its block in {DOC.name}"
    answers = SOFTMAX_ANSWERS.read_text(encoding="utf-8")
    for name in ("jac_softmax", "fb_softmax"):
        node = next(
            n for n in ast.parse(answers).body if isinstance(n, ast.FunctionDef) and n.name == name
        )
        block = ast.get_source_segment(answers, node)
        assert block is not None and f"```python\n{block}\n```" in doc


def test_softmax_answers_pass(grade: Grade) -> None:
    report = grade(SOFTMAX_ANSWERS, puzzles_dir=SOFTMAX_SET)
    assert [(p.id, p.status, p.form) for p in report.puzzles] == [("softmax", "passed", "jac")]
    assert report.score == report.max_score == 2


def test_softmax_dx_answer_passes(tmp_path: Path, grade: Grade) -> None:
    dx_only = tmp_path / "dx_only.py"
    source = SOFTMAX_ANSWERS.read_text(encoding="utf-8")
    dx_only.write_text(_without_function(source, "jac_softmax"), encoding="utf-8")
    report = grade(dx_only, puzzles_dir=SOFTMAX_SET)
    assert [(p.status, p.form) for p in report.puzzles] == [("passed", "dx")]


def test_softmax_wrong_answers_fail(
    tmp_path: Path, softmax_wrong_report: adgrader.Report, grade: Grade
) -> None:
    [jac] = softmax_wrong_report.puzzles
    assert (jac.status, jac.form, jac.score) == ("failed", "jac", 0)
    assert jac.mismatch_total > 0
    dx_only = tmp_path / "wrong_dx.py"
    dx_only.write_text(_without_function(WRONG_ANSWERS, "jac_softmax"), encoding="utf-8")
    [dx] = grade(dx_only, puzzles_dir=SOFTMAX_SET).puzzles
    assert (dx.status, dx.form) == ("failed", "dx")


# ---------------------------------------------------------------- (c) the examples, run
#
# Each example installs adgrader from the source its file names (ADGRADER_SOURCE),
# here a wheel built from this checkout, into a fresh environment that sees this
# environment's other packages (jax, numpy, ...) but not adgrader. So no network is
# needed, and the commands grade with the wheel's code and built-in puzzles.


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built once per session, offline, by hatchling, the
    build backend pyproject.toml names (what `pip wheel` runs, without pip around it)."""
    if importlib.util.find_spec("hatchling") is None:
        pytest.fail("building adgrader's wheel needs hatchling: pip install -e '.[test]'")
    backend = 'build-backend = "hatchling.build"'
    assert backend in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    out = tmp_path_factory.mktemp("wheel")
    build = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", build, str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    built = out / done.stdout.strip().splitlines()[-1]
    assert [built] == list(out.glob("adgrader-*.whl"))
    return built


@pytest.fixture(scope="session")
def dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This environment's installed packages but adgrader, as one folder of hard links.

    Hard links, not symbolic ones: where the kernel jails answer processes, they may
    read only below the folders on their `sys.path`, and a symbolic link's target lies
    elsewhere (jax would not import). A folder on another file system is copied.
    """
    folder = tmp_path_factory.mktemp("dependencies")

    def link(source: str, target: str) -> None:
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError:
            shutil.copy2(source, target, follow_symlinks=False)

    paths = sysconfig.get_paths()
    for site in dict.fromkeys((paths["purelib"], paths["platlib"])):
        for entry in Path(site).iterdir():
            target = folder / entry.name
            if "adgrader" in entry.name.lower() or target.exists():
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.copytree(entry, target, symlinks=True, copy_function=link)
            else:
                link(str(entry), str(target))
    return folder


@pytest.fixture(scope="session")
def no_apt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commands `apt-get` and `git` that refuse: the examples must not need them here."""
    return _refusing(tmp_path_factory.mktemp("no-apt"), "apt-get", "git")


def _refusing(folder: Path, *names: str) -> Path:
    """`folder` with a command for each of `names` that says it was called and exits 99."""
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(f"#!/bin/sh\necho '{name} called' >&2\nexit 99\n")
        (folder / name).chmod(0o755)
    return folder


def _fresh_environment(where: Path, dependencies: Path) -> Path:
    """A new virtual environment with no adgrader, that imports `dependencies`."""
    venv = where / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    [site] = (venv / "lib").glob("python*/site-packages")
    (site / "dependencies.pth").write_text(f"{dependencies}\n", encoding="utf-8")
    return venv


def _environ(first: list[Path], **extra: str) -> dict[str, str]:
    """os.environ with the folders `first` at the head of PATH and no other adgrader."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    rest = [
        d
        for d in env.get("PATH", "").split(os.pathsep)
        if d and not (Path(d) / "adgrader").exists()
    ]
    env["PATH"] = os.pathsep.join([str(d) for d in first] + rest)
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", JAX_PLATFORMS="cpu")
    env.update(extra)
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _nothing_runs(tmp_path: Path) -> Path:
    """python, pip, apt-get and git that refuse: a step must stop before any of them."""
    return _refusing(tmp_path / "refusing", "python", "python3", "pip", "apt-get", "git")


def _workspace(tmp_path: Path) -> Path:
    """A checkout of a learner's repository: submission.py and nothing else."""
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / "submission.py").write_text(SMALL_SUBMISSION, encoding="utf-8")
    return workspace


def _github_env(*blocks: dict[str, Any] | None) -> dict[str, str]:
    """`env:` blocks as Actions sets them when no secret is set (`${{ secrets.X }}` is '')."""
    env: dict[str, str] = {}
    for block in blocks:
        for key, value in (block or {}).items():
            text = str(value)
            assert re.fullmatch(r"\$\{\{\s*secrets\.\w+\s*\}\}|[^$]*", text), text
            env[key] = "" if text.startswith("${{") else text
    return env


def _run_github_step(
    step: dict[str, Any], workspace: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """One `run:` step as a Linux runner runs it: `bash -e`, or `python` for shell: python."""
    script = str(step["run"])
    assert "${{" not in script, "run: scripts are run as written"
    path = workspace.parent / f"step-{abs(hash(script))}"
    path.write_text(script, encoding="utf-8")
    shell = step.get("shell")
    assert shell in (None, "python"), shell
    command = ["python", str(path)] if shell == "python" else ["bash", "-e", str(path)]
    return _run(command, workspace, {**env, **_github_env(step.get("env"))})


@pytest.mark.slow
def test_github_workflow_installs_and_grades(
    workflow: dict[str, Any],
    classroom_job: dict[str, Any],
    wheel: Path,
    dependencies: Path,
    no_apt: Path,
    tmp_path: Path,
) -> None:
    """Every `run:` step of the job in order, with ADGRADER_SOURCE set to the wheel."""
    venv = _fresh_environment(tmp_path, dependencies)
    workspace = _workspace(tmp_path)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = _environ([venv / "bin", no_apt], GITHUB_STEP_SUMMARY=str(summary))
    env.update(GITHUB_OUTPUT=str(outputs))
    env.update(_github_env(workflow.get("env"), classroom_job.get("env")))
    env["ADGRADER_SOURCE"] = str(wheel)
    ran = {
        str(step["name"]): _run_github_step(step, workspace, env)
        for step in _steps(classroom_job)
        if "run" in step
    }
    assert list(ran) == ["Install adgrader", "Grade submission.py", "Points for GitHub Classroom"]
    for name, done in ran.items():
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
    assert (venv / "bin" / "adgrader").is_file(), "installed into the job's Python"

    report = json.loads((workspace / "adgrader-report.json").read_text(encoding="utf-8"))
    statuses = {p["id"]: p["status"] for p in report["puzzles"]}
    assert (statuses["relu"], statuses["neg"]) == ("passed", "failed")
    assert (report["score"], report["max_score"]) == (1, 20)
    grade = ran["Grade submission.py"].stdout
    assert f"::error file=submission.py,line={NEG_LINE}," in grade
    assert "relu" not in "".join(line for line in grade.splitlines() if line.startswith("::"))
    assert "neg" in summary.read_text(encoding="utf-8")

    assert "Points 1/20" in ran["Points for GitHub Classroom"].stdout
    key, _, value = outputs.read_text(encoding="utf-8").strip().partition("=")
    result = json.loads(base64.b64decode(value))
    assert (key, result["status"], result["max_score"]) == ("result", "fail", 20)
    assert sum(t["score"] for t in result["tests"]) == 1


def test_github_workflow_as_shipped_asks_for_its_source(
    workflow: dict[str, Any], classroom_job: dict[str, Any], tmp_path: Path
) -> None:
    """Until the course sets ADGRADER_SOURCE, the install step says so and stops."""
    install = next(s for s in _steps(classroom_job) if s.get("name") == "Install adgrader")
    env = _environ([_nothing_runs(tmp_path)], **_github_env(workflow.get("env")))
    done = _run_github_step(install, _workspace(tmp_path), env)
    assert done.returncode == 1
    assert "::error::Set ADGRADER_SOURCE at the top of this workflow" in done.stdout
    assert "called" not in done.stderr


def _gitlab_job() -> tuple[dict[str, Any], dict[str, Any]]:
    data = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    [job] = [v for v in data.values() if isinstance(v, dict) and "script" in v]
    return data, job


def _run_gitlab_job(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The job's script as GitLab's shell runs it: one script, stopping at a failure."""
    data, job = _gitlab_job()
    variables = {**data.get("variables", {}), **job.get("variables", {})}
    for key, value in variables.items():
        env.setdefault(key, str(value).replace("$CI_PROJECT_DIR", str(workspace)))
    script = workspace.parent / "gitlab-script.sh"
    script.write_text("set -eo pipefail\n" + "\n".join(job["script"]) + "\n", encoding="utf-8")
    return _run(["bash", str(script)], workspace, env)


@pytest.mark.slow
def test_gitlab_job_installs_and_grades(
    wheel: Path, dependencies: Path, no_apt: Path, tmp_path: Path
) -> None:
    venv = _fresh_environment(tmp_path, dependencies)
    workspace = _workspace(tmp_path)
    env = _environ([venv / "bin", no_apt], ADGRADER_SOURCE=str(wheel))
    done = _run_gitlab_job(workspace, env)
    assert done.returncode == 1, done.stdout + done.stderr  # neg fails, so does the job
    assert (venv / "bin" / "adgrader").is_file(), "installed into the job's Python"
    suite = ET.parse(workspace / "adgrader-junit.xml").getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert len(cases) == 20
    assert cases["relu"].find("failure") is None and cases["relu"].find("skipped") is None
    assert cases["neg"].find("failure") is not None
    assert suite.get("failures") == "1"


def test_gitlab_job_as_shipped_asks_for_its_source(tmp_path: Path) -> None:
    """Until the course sets ADGRADER_SOURCE, the job says so and stops."""
    done = _run_gitlab_job(_workspace(tmp_path), _environ([_nothing_runs(tmp_path)]))
    assert done.returncode == 1
    assert "Set ADGRADER_SOURCE at the top of .gitlab-ci.yml" in done.stderr
    assert "called" not in done.stderr


# ---------------------------------------------------------------- (d) Gradescope


@pytest.fixture(scope="module")
def gradescope_image(
    tmp_path_factory: pytest.TempPathFactory, wheel: Path, dependencies: Path, no_apt: Path
) -> tuple[Path, dict[str, str]]:
    """The bundle unpacked into source/ with the wheel, and setup.sh run as Gradescope would.

    Returns the folder holding source/ and the environment of the built image.
    """
    image = tmp_path_factory.mktemp("gradescope-image")
    source = image / "source"
    source.mkdir()
    for name in ("setup.sh", "run_autograder"):
        shutil.copy2(GRADESCOPE / name, source / name)
    shutil.copy2(wheel, source / wheel.name)
    venv = _fresh_environment(image, dependencies)
    env = _environ([venv / "bin", no_apt])
    env.pop("ADGRADER_SOURCE", None)  # the default: the bundled wheel
    done = _run(["bash", str(source / "setup.sh")], source, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Installing adgrader from {source / wheel.name}" in done.stdout
    assert (venv / "bin" / "adgrader").is_file()
    return image, env


def _autograder_root(tmp_path: Path, image: Path) -> Path:
    """/autograder for one submission: run_autograder, source/, submission/."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").symlink_to(image / "source")
    shutil.copy2(image / "source" / "run_autograder", root / "run_autograder")
    return root


def _run_autograder(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**env, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_WORK": str(root / "work")}
    return _run([str(root / "run_autograder")], root, env)


def _small_notebook(path: Path) -> None:
    """SMALL_SUBMISSION's answers as a learner fills them in the 2024 notebook."""
    givens = "I = 10\nO = 10\nIs = np.arange(I)\nOs = np.arange(O)[:, None]\n\n"
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_markdown_cell("# Autodiff Puzzles"),
        nbformat.v4.new_code_cell("import jax.numpy as np\nfrom jaxtyping import Shaped, Array"),
        nbformat.v4.new_markdown_cell("### Problem 7: Neg"),
        nbformat.v4.new_code_cell(
            givens + "def f(x):\n    return -x\n\n"
            "def jac(x):\n    return 1.0 * (Os == Is)\n\ncheck(f, jac, in_shape=Is.shape)"
        ),
        nbformat.v4.new_markdown_cell("### Problem 8: Relu"),
        nbformat.v4.new_code_cell(
            givens + "def f(x):\n    return x * (x > 0)\n\n"
            "def jac(x):\n    return (x > 0) * (Os == Is)\n\ncheck(f, jac, in_shape=Is.shape)"
        ),
    ]
    nbformat.write(book, str(path))


@pytest.mark.slow
@pytest.mark.parametrize("upload", ["answers.py", "autodiff_puzzles.ipynb"])
def test_gradescope_grades_an_upload(
    upload: str, gradescope_image: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    image, env = gradescope_image
    root = _autograder_root(tmp_path, image)
    uploaded = root / "submission" / upload
    if upload.endswith(".ipynb"):
        _small_notebook(uploaded)
    else:
        uploaded.write_text(SMALL_SUBMISSION, encoding="utf-8")
    before = uploaded.read_bytes()
    done = _run_autograder(root, env)
    assert done.returncode == 0, done.stdout + done.stderr  # failing puzzles are a grade
    assert f"Grading {upload} against the jax set" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert (results["score"], len(results["tests"])) == (1, 20)
    tests = {t["name"].split(" · ")[0]: t for t in results["tests"]}
    assert (tests["relu"]["status"], tests["relu"]["score"]) == ("passed", 1)
    assert (tests["neg"]["status"], tests["neg"]["score"]) == ("failed", 0)
    assert "wrong sign" in tests["neg"]["output"]
    assert uploaded.read_bytes() == before  # graded a copy


@pytest.mark.slow
def test_gradescope_picks_the_answers_not_a_checkpoint(
    gradescope_image: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """In a folder upload, the notebook itself, never its .ipynb_checkpoints copy."""
    image, env = gradescope_image
    root = _autograder_root(tmp_path, image)
    folder = root / "submission" / "hw"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / ".ipynb_checkpoints" / "answers-checkpoint.ipynb").write_text("{}")
    (folder / "answers.ipynb").write_text("{}")
    done = _run_autograder(root, {**env, "ADGRADER": "echo"})  # shows what it would grade
    assert done.returncode == 0, done.stderr
    assert "Grading answers.ipynb" in done.stdout
    assert re.search(r"^check \S+/answers\.ipynb --set jax --format gradescope", done.stdout, re.M)


@pytest.mark.slow
def test_gradescope_without_answers(
    gradescope_image: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    image, env = gradescope_image
    root = _autograder_root(tmp_path, image)
    (root / "submission" / "notes.txt").write_text("no answers here\n", encoding="utf-8")
    done = _run_autograder(root, env)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0
    assert "No .py or .ipynb file" in results["output"]


def test_gradescope_setup_without_a_wheel_says_what_to_bundle(tmp_path: Path) -> None:
    shutil.copy2(GRADESCOPE / "setup.sh", tmp_path / "setup.sh")
    env = _environ([Path(sys.executable).parent, _nothing_runs(tmp_path)])
    env.pop("ADGRADER_SOURCE", None)
    done = _run(["bash", str(tmp_path / "setup.sh")], tmp_path, env)
    assert done.returncode == 1
    assert "Found 0 adgrader-*.whl files beside setup.sh" in done.stderr
    assert "called" not in done.stderr


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_gradescope_scripts_are_valid_bash(script: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(GRADESCOPE / script)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- (e) the README's set-up


def test_ci_runs_the_readme_set_up_commands() -> None:
    """CI runs exactly the README's opening commands, so they stay true on a fresh machine."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\n(.*?)^```", readme, re.S | re.M)
    assert block is not None
    commands = block.group(1).splitlines()
    assert len(commands) == 2
    assert all(c.startswith("python3 -m venv .venv && .venv/bin/pip install -e ") for c in commands)
    assert commands[0].endswith(" && .venv/bin/adgrader check submissions/jax_solution.py")
    assert commands[1].endswith(" && .venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ran = [line for line in ci.splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ran == ["export JAX_PLATFORMS=cpu", *commands]


@pytest.mark.slow
def test_github_matrix_grades_each_shard_and_merges_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The matrix workflow's grade and merge steps, run here for every shard of a class
    of three (the fourth shard has nothing to grade): the merged grades.csv is what one
    unsharded run writes."""
    flow = yaml.safe_load(
        (EXAMPLES / "github-matrix" / ".github" / "workflows" / "grade-class.yml").read_text()
    )
    shards = flow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    assert shards == [1, 2, 3, 4] and flow["jobs"]["merge"]["needs"] == "grade"
    grade_step = next(s for s in flow["jobs"]["grade"]["steps"] if "--shard" in s.get("run", ""))
    merge_step = next(s for s in flow["jobs"]["merge"]["steps"] if "merge" in s.get("run", ""))
    folder = tmp_path / "class"
    folder.mkdir()
    sources = ["submissions/jax_solution.py", "submissions/jax_mistakes.py"] * 2
    for k, source in enumerate(sources[:3]):
        (folder / f"s{k}.py").write_text((ROOT / source).read_text())
    bin_dir = str(Path(sys.executable).parent)
    base = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SUBMISSIONS": "class"}
    for k in shards:
        script = grade_step["run"].replace("${{ matrix.shard }}", str(k))
        # any machine, and two puzzles, for this test
        script = script.replace("--require-isolation", "-p relu -p cos")
        env = {**base, "SHARD": f"{k}/{len(shards)}"}
        done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env)
        assert done.returncode == 0
    merged = subprocess.run(["bash", "-e", "-c", merge_step["run"]], cwd=tmp_path, env=base)
    assert merged.returncode == 0
    whole = tmp_path / "whole"  # one unsharded run, here (the shards ran as the workflow runs)
    monkeypatch.chdir(tmp_path)
    CliRunner().invoke(main, ["grade", "class", "--out", str(whole), "-p", "relu", "-p", "cos"])
    assert (tmp_path / "grades.csv").read_text() == (whole / "grades.csv").read_text()
    assert len(list((tmp_path / "reports").glob("*.json"))) == 3
    assert (tmp_path / "shard-4" / "grades.csv").read_text().count("\n") == 1  # a header
