"""The CI examples under examples/ and the worked puzzle of docs/puzzle-format.md."""

from __future__ import annotations

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import adgrader
from adgrader.report import json as json_report
from adgrader.spec import load_set_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WORKFLOW = EXAMPLES / "github-classroom" / ".github" / "workflows" / "adgrader.yml"
GITLAB = EXAMPLES / "gitlab" / ".gitlab-ci.yml"
GRADESCOPE = EXAMPLES / "gradescope"
DOC = ROOT / "docs" / "puzzle-format.md"
SOFTMAX_SET = ROOT / "docs" / "examples" / "softmax-set"
SOFTMAX_ANSWERS = ROOT / "docs" / "examples" / "softmax_answers.py"
ADGRADER = f"{sys.executable} -m adgrader"

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
    assert re.search(r"pip install adgrader\b", _runs(classroom_job))


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
    script = "\n".join(job["script"])
    assert re.search(r"pip install adgrader\b", script)
    assert "adgrader check submission.py --format junit -o adgrader-junit.xml" in script
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "adgrader-junit.xml"


# ---------------------------------------------------------------- (b) the softmax puzzle


@pytest.fixture(scope="module")
def softmax_wrong_report(tmp_path_factory: pytest.TempPathFactory) -> adgrader.Report:
    path = tmp_path_factory.mktemp("softmax") / "wrong_jac.py"
    path.write_text(_without_function(WRONG_ANSWERS, "fb_soft"), encoding="utf-8")
    return adgrader.check(path, puzzles_dir=SOFTMAX_SET)


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


def test_softmax_answers_pass() -> None:
    report = adgrader.check(SOFTMAX_ANSWERS, puzzles_dir=SOFTMAX_SET)
    assert [(p.id, p.status, p.form) for p in report.puzzles] == [("softmax", "passed", "jac")]
    assert report.score == report.max_score == 2


def test_softmax_dx_answer_passes(tmp_path: Path) -> None:
    dx_only = tmp_path / "dx_only.py"
    source = SOFTMAX_ANSWERS.read_text(encoding="utf-8")
    dx_only.write_text(_without_function(source, "jac_softmax"), encoding="utf-8")
    report = adgrader.check(dx_only, puzzles_dir=SOFTMAX_SET)
    assert [(p.status, p.form) for p in report.puzzles] == [("passed", "dx")]


def test_softmax_wrong_answers_fail(tmp_path: Path, softmax_wrong_report: adgrader.Report) -> None:
    [jac] = softmax_wrong_report.puzzles
    assert (jac.status, jac.form, jac.score) == ("failed", "jac", 0)
    assert jac.mismatch_total > 0
    dx_only = tmp_path / "wrong_dx.py"
    dx_only.write_text(_without_function(WRONG_ANSWERS, "jac_softmax"), encoding="utf-8")
    [dx] = adgrader.check(dx_only, puzzles_dir=SOFTMAX_SET).puzzles
    assert (dx.status, dx.form) == ("failed", "dx")


# ---------------------------------------------------------------- (c), (d) Gradescope


def _autograder_root(tmp_path: Path) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    return root


def _run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_WORK": str(root / "work"),
        "ADGRADER": ADGRADER,
        "JAX_PLATFORMS": "cpu",
    }
    return subprocess.run(
        ["bash", str(GRADESCOPE / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gradescope_run_autograder_end_to_end(tmp_path: Path) -> None:
    root = _autograder_root(tmp_path)
    shutil.copy(ROOT / "submissions" / "jax_mistakes.py", root / "submission")
    done = _run_autograder(root)
    assert done.returncode == 0, done.stderr  # failing puzzles are a grade, not an error
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert "score" in results and "tests" in results
    assert 0 < results["score"] < 20
    assert (root / "submission" / "jax_mistakes.py").is_file()  # graded a copy


def test_gradescope_run_autograder_without_a_python_file(tmp_path: Path) -> None:
    root = _autograder_root(tmp_path)
    (root / "submission" / "notes.txt").write_text("no answers here\n", encoding="utf-8")
    done = _run_autograder(root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0
    assert "No .py file" in results["output"]


@pytest.mark.parametrize("script", ["setup.sh", "run_autograder"])
def test_gradescope_scripts_are_valid_bash(script: str) -> None:
    done = subprocess.run(
        ["bash", "-n", str(GRADESCOPE / script)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
