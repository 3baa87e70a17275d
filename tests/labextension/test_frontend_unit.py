"""The JupyterLab sidebar's frontend unit tests (vitest, via npm) and its packaging, from the one pytest run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mlm_jupyter

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"
NPM = shutil.which("npm")
needs_npm = pytest.mark.skipif(NPM is None, reason="npm (Node.js 20+) is needed to test the JupyterLab sidebar")


def without_colour_codes(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@needs_npm
def test_vitest_suite_passes() -> None:
    if not (LABEXTENSION / "node_modules").exists():
        subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=LABEXTENSION, check=True,
                       capture_output=True, timeout=600)
    # CI machines may set FORCE_COLOR; ask for plain text and strip any colour codes that still come through.
    plain = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"} | {"NO_COLOR": "1"}
    result = subprocess.run([NPM, "test", "--", "--reporter=verbose"], cwd=LABEXTENSION, capture_output=True,
                            text=True, timeout=600, env=plain)
    output = without_colour_codes(result.stdout + result.stderr)
    assert result.returncode == 0, output[-6000:]
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 20, output[-3000:]


def test_frontend_version_matches_the_python_package() -> None:
    package = json.loads((LABEXTENSION / "package.json").read_text())
    source = (LABEXTENSION / "src" / "version.ts").read_text()
    assert package["version"] == mlm_jupyter.__version__
    assert f"CLIENT_VERSION = '{mlm_jupyter.__version__}'" in source


def test_package_json_builds_into_the_python_package() -> None:
    package = json.loads((LABEXTENSION / "package.json").read_text())
    assert package["name"] == "mlm-jupyter"
    assert package["jupyterlab"]["outputDir"] == "../mlm_jupyter/labextension"
    assert mlm_jupyter._jupyter_labextension_paths() == [{"src": "labextension", "dest": "mlm-jupyter"}]


def test_installed_labextension_is_enabled_and_ok() -> None:
    """After ``pip install -e .`` the build hook has built and installed the sidebar."""
    pytest.importorskip("jupyterlab")
    result = subprocess.run([sys.executable, "-m", "jupyterlab.labextensions", "list"], capture_output=True,
                            text=True, timeout=120)
    text = without_colour_codes(result.stdout + result.stderr)
    line = next((ln for ln in text.splitlines() if ln.strip().startswith("mlm-jupyter ")), None)
    assert line is not None, f"mlm-jupyter is not among the installed lab extensions:\n{text}"
    assert "enabled" in line and "OK" in line, line
