"""Architecture guards: layer contracts, a cheap import, the public API surface, the README quick start."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import mlm_jupyter

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), str(ROOT / "pyproject.toml")],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout and "BROKEN" not in result.stdout


def test_import_is_cheap() -> None:
    code = "import sys, mlm_jupyter; print(sorted(m for m in ('IPython', 'pandas', 'duckdb', 'ipywidgets', 'jupyter_server') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_every_public_name_resolves() -> None:
    for name in mlm_jupyter.__all__:
        assert getattr(mlm_jupyter, name) is not None, name


def test_design_names_are_exported() -> None:
    for name in ("start_run", "end_run", "active_run", "log_param", "log_params", "log_metric", "log_metrics",
                 "set_tag", "log_artifact", "get_run", "search_runs", "get_metric_history", "MlmClient",
                 "MlmError"):
        assert name in mlm_jupyter.__all__, name


def test_readme_quick_start_has_the_two_commands_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick_start, re.S)
    assert len(commands) == 2, commands
    assert "mlm demo" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci


def test_core_store_and_tracking_pass_mypy_strict() -> None:
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run([str(mypy), "mlm_jupyter/core", "mlm_jupyter/store", "mlm_jupyter/tracking"],
                            capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
