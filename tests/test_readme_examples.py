"""The README's Python examples run as written, one after another, in a fresh directory and store."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python_examples() -> list[str]:
    """The README's ```python blocks that plain Python can run (no IPython magics, no live server)."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [b for b in blocks
            if not re.search(r"^%", b, re.M) and "127.0.0.1:8888" not in b]


def test_readme_python_examples_run_as_written(tmp_path: Path) -> None:
    blocks = python_examples()
    assert len(blocks) >= 4  # tracking, registry, data versioning, widgets
    script = tmp_path / "readme_examples.py"
    script.write_text("\n\n".join(blocks), encoding="utf-8")
    env = {**os.environ, "MLM_STORE": str(tmp_path / "store"), "MLM_NO_SERVER": "1", "PYTHONWARNINGS": "always"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr[-4000:]
    assert "data diff" in done.stdout and "# Model card: churn v1" in done.stdout
    assert (tmp_path / "dist" / "churn" / "MLmodel.json").exists()
