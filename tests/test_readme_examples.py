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


def test_readme_notebook_examples_run_in_a_kernel(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    magic = [b.rstrip("\n") for b in blocks if re.search(r"^%", b, re.M)]
    assert any("%load_ext mlm_jupyter" in b for b in magic) and any(b.startswith("%%track") for b in magic)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(b) for b in magic])
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(tmp_path / "kernel")
    env = {**os.environ, "MLM_STORE": str(tmp_path / "store"), "MLM_NO_SERVER": "1"}
    NotebookClient(notebook, timeout=120, kernel_name="python3", config=config,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    texts = ["".join(o.get("text", "") or o.get("data", {}).get("text/plain", "")) for c in notebook.cells
             for o in c.outputs]
    assert not [o for c in notebook.cells for o in c.outputs if o.get("name") == "stderr" or o.output_type == "error"]
    assert any(t.startswith("✓ run rf-baseline") and "in churn: finished" in t for t in texts), texts
