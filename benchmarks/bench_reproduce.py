"""The share of tracked runs that reproduce: every notebook of ``tests/corpus`` is run, then reproduced.

Each notebook is executed by nbclient in a fresh kernel with the extension (in the order its
``metadata.mlm_corpus.order`` gives, else top to bottom) on a store of its own; its ``%%track`` run is
then reproduced with ``mlm.reproduce`` (gather, execute in another fresh kernel, compare). A notebook
counts as reproduced when the verdict is ``reproduced``; the notebooks marked ``expect: differs`` are
not deterministic even without mlm, and count as explained when the verdict is ``differs`` and the
reason names their cause (``why``).

    python benchmarks/bench_reproduce.py [--only NAME ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def run_notebook(path: Path, folder: Path, store: Path) -> float:
    """Execute the notebook like a user would (its recorded order), recording into ``store``."""
    notebook = nbformat.read(path, as_version=4)
    order = notebook.metadata.get("mlm_corpus", {}).get("order") or list(range(len(notebook.cells)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLM_", "JPY_"))}
    env.update(MLM_STORE=str(store), MLM_NO_SERVER="1", JPY_SESSION_NAME=str(folder / path.name),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    nbformat.write(notebook, folder / path.name)
    runner = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    started = time.perf_counter()
    with runner.setup_kernel(env=env):
        for index in order:
            runner.execute_cell(notebook.cells[index], index)
    return time.perf_counter() - started


def measure(path: Path) -> dict[str, Any]:
    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.tracking.reproduce import reproduce

    meta = nbformat.read(path, as_version=4).metadata.get("mlm_corpus", {})
    with tempfile.TemporaryDirectory(prefix="mlm-corpus-") as tmp:
        folder, store = Path(tmp) / "work", Path(tmp) / "store"
        folder.mkdir()
        record: dict[str, Any] = {"notebook": path.stem, "style": meta.get("style"), "expect": meta.get("expect")}
        try:
            record["run_seconds"] = run_notebook(path, folder, store)
        except Exception as error:  # noqa: BLE001 -- a corpus notebook that does not run is a finding
            record.update(verdict="not run", error=f"{type(error).__name__}: {error}"[:300], ok=False)
            return record
        client = MlmClient(store)
        try:
            frame = client.search_runs(experiment="corpus")
            run_id = str(frame["run_id"][0])
            started = time.perf_counter()
            result = reproduce(run_id, client=client, timeout=300)
            record["reproduce_seconds"] = time.perf_counter() - started
        finally:
            client.close()
    record.update(verdict=result.verdict, first_difference=result.first_difference, error=result.error,
                  reasons=list(result.reasons))
    if meta.get("expect") == "differs":
        record["ok"] = result.verdict == "differs" and any(meta.get("why", "") in r for r in result.reasons)
    else:
        record["ok"] = result.verdict == "reproduced"
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    paths = sorted(CORPUS.glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    records = []
    for path in paths:
        record = measure(path)
        records.append(record)
        print(f"{record['notebook']:<32} {record.get('verdict', '?'):<11} ok={record['ok']}  "
              f"run {record.get('run_seconds', 0):5.1f} s  reproduce {record.get('reproduce_seconds', 0):5.1f} s"
              + (f"  {record.get('first_difference') or record.get('error') or ''}"[:160]), flush=True)
    deterministic = [r for r in records if r["expect"] != "differs"]
    other = [r for r in records if r["expect"] == "differs"]
    reproduced = sum(r["verdict"] == "reproduced" for r in deterministic)
    print(f"\ndeterministic notebooks reproduced: {reproduced}/{len(deterministic)} "
          f"({100 * reproduced / max(len(deterministic), 1):.0f}%)")
    print(f"not-deterministic notebooks explained (differs + right cause): {sum(r['ok'] for r in other)}/{len(other)}")
    print(f"all tracked runs reproduced: {sum(r['verdict'] == 'reproduced' for r in records)}/{len(records)}")
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=2, default=str))


if __name__ == "__main__":
    main()
