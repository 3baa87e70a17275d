"""Run the MLflow example fixtures in one process and dump what the store holds afterwards, as JSON.

``python run_examples.py mlm OUT`` runs each fixture of ``examples/`` as written (imports from
``mlm_jupyter.mlflow``), each against a fresh mlm store; ``python run_examples.py mlflow OUT`` runs the
original (the same file with the import lines turned back to ``mlflow``) against a fresh MLflow store.
Both then describe their store in the same shape (see ``describe_*``), written to ``OUT/facts.json``.
"""

from __future__ import annotations

import json
import os
import random
import re
import runpy
import sys
import traceback
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d+$")


def to_mlflow(source: str) -> str:
    """The original script: every ``mlm_jupyter.mlflow`` import back to ``mlflow``."""
    source = source.replace("import mlm_jupyter.mlflow as mlflow", "import mlflow")
    return source.replace("mlm_jupyter.mlflow", "mlflow")


def _seed() -> None:
    random.seed(0)
    import numpy as np

    np.random.seed(0)


# ---------------------------------------------------------------- MLflow's side

def _mlflow_artifacts(client, run_id: str, path: str | None = None) -> list[str]:  # noqa: ANN001
    files = []
    for info in client.list_artifacts(run_id, path):
        files += _mlflow_artifacts(client, run_id, info.path) if info.is_dir else [info.path]
    return files


def describe_mlflow(uri: str) -> dict:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    runs = client.search_runs(list(experiments), max_results=1000)
    runs = sorted(runs, key=lambda r: (r.info.start_time, r.info.run_id))
    index = {r.info.run_id: i for i, r in enumerate(runs)}
    logged: dict[str, list[str]] = {}
    try:
        for model in client.search_logged_models(experiment_ids=list(experiments)):
            if model.source_run_id:
                logged.setdefault(model.source_run_id, []).append(model.name)
    except AttributeError:  # MLflow 2: models are run artifacts
        pass
    described = []
    for run in runs:
        files = _mlflow_artifacts(client, run.info.run_id)
        model_dirs = {f.rpartition("/")[0] for f in files if f.endswith("MLmodel")}
        files = [f for f in files if not any(f.startswith(d + "/") for d in model_dirs)]
        tags = run.data.tags
        described.append({
            "experiment": experiments[run.info.experiment_id],
            "name": run.info.run_name,
            "status": run.info.status,
            "params": dict(run.data.params),
            "metrics": {key: [[m.step, m.value] for m in sorted(client.get_metric_history(run.info.run_id, key),
                                                               key=lambda m: (m.step, m.timestamp))]
                        for key in run.data.metrics},
            "tags": {k: v for k, v in tags.items() if not k.startswith("mlflow.") or k == "mlflow.note.content"},
            "artifacts": sorted(files),
            "models": sorted(set(logged.get(run.info.run_id, [])) | model_dirs),
            "parent": index.get(tags.get("mlflow.parentRunId")),
        })
    registered = {}
    for model in client.search_registered_models():
        versions = client.search_model_versions(f"name = '{model.name}'")
        registered[model.name] = {
            "versions": sorted([int(v.version), index.get(v.run_id)] for v in versions),
            "aliases": {a.lower(): int(v) for a, v in (model.aliases or {}).items()},
            "tags": {k: v for k, v in model.tags.items() if not k.startswith("mlflow.")},
            "description": model.description or "",
            "version_tags": {int(v.version): {k: x for k, x in v.tags.items() if not k.startswith("mlflow.")}
                             for v in versions},
            "version_descriptions": {int(v.version): v.description or "" for v in versions},
        }
    del mlflow
    return {"runs": described, "registered": registered}


def _empty_mlflow_db(out: Path) -> Path:
    """One migrated, empty MLflow database, copied for each script (migrating one costs ~10 s)."""
    template = out / "empty-mlflow.db"
    if not template.exists():
        from mlflow import MlflowClient

        out.mkdir(parents=True, exist_ok=True)
        os.chdir(out)  # the Default experiment's artifact root is ./mlruns where the database is created
        MlflowClient(f"sqlite:///{template}").search_experiments()
    return template


def run_mlflow(name: str, out: Path) -> dict:
    import shutil

    import mlflow
    import mlflow.sklearn

    # This MLflow saves scikit-learn models with skops by default and then refuses to load its own
    # RandomForest files (sklearn.tree._tree.Tree is not trusted); pickle, its other format, lets the
    # originals run. mlm keeps skops (trusting the types scikit-learn itself defines).
    mlflow.sklearn._get_default_serialization_format = lambda: mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE
    folder = out / name
    (folder / "work").mkdir(parents=True, exist_ok=True)
    shutil.copy(_empty_mlflow_db(out), folder / "mlflow.db")
    uri = f"sqlite:///{folder}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    from mlflow.tracking import fluent

    fluent._active_experiment_id = None  # the previous script's set_experiment must not leak
    script = folder / "work" / f"{name}.py"
    script.write_text(to_mlflow((EXAMPLES / f"{name}.py").read_text()))
    try:
        _run(script)
    finally:
        while mlflow.active_run() is not None:  # what MLflow's atexit hook does at the end of a script
            mlflow.end_run()
    return describe_mlflow(uri)


# ---------------------------------------------------------------- mlm's side

def describe_mlm(store: Path) -> dict:
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    try:
        ids = []
        for experiment in client.experiments():
            ids += list(client.search_runs(None, experiment.name, max_results=1000)["run_id"])
        runs = sorted((client.get_run(i) for i in ids), key=lambda r: (r.start_time, r.id))
        index = {r.id: i for i, r in enumerate(runs)}
        described = []
        for run in runs:
            files = [a.path for a in run.artifacts]
            model_dirs = {f.rpartition("/")[0] for f in files if f.endswith("MLmodel.json")}
            files = [f for f in files if not any(f.startswith(d + "/") for d in model_dirs)]
            history = {}
            for key in run.metrics:
                frame = client.get_metric_history(run.id, key).sort_values(["step", "time"], kind="stable")
                history[key] = [[int(s), float(v)] for s, v in zip(frame["step"], frame["value"])]
            described.append({
                "experiment": run.experiment, "name": run.name, "status": run.status.upper(),
                "params": dict(run.params), "metrics": history,
                "tags": {k: v for k, v in run.tags.items() if not k.startswith("mlflow.") or k == "mlflow.note.content"},
                "artifacts": sorted(files), "models": sorted(model_dirs),
                "parent": index.get(run.parent_run_id),
            })
        registered = {}
        for model in client.models():
            versions = client.model_versions(model.name)
            registered[model.name] = {
                "versions": sorted([v.version, index.get(v.run_id)] for v in versions),
                "aliases": dict(model.aliases), "tags": client.model_tags(model.name),
                "description": model.description or "",
                "version_tags": {v.version: client.model_tags(model.name, v.version) for v in versions},
                "version_descriptions": {v.version: v.description or "" for v in versions},
            }
        return {"runs": described, "registered": registered}
    finally:
        client.close()


def run_mlm(name: str, out: Path) -> dict:
    from mlm_jupyter.tracking import fluent

    folder = out / name
    (folder / "work").mkdir(parents=True, exist_ok=True)
    store = folder / "store"
    os.environ["MLM_STORE"] = str(store)
    fluent.set_client(None)
    fluent.set_experiment(None)  # type: ignore[arg-type]
    try:
        _run(EXAMPLES / f"{name}.py", folder / "work")
    finally:
        while fluent.active_run() is not None:  # what the atexit hook does at the end of a script
            fluent.end_run()
        fluent.get_client().close()
        fluent.set_client(None)
    return describe_mlm(store)


# ---------------------------------------------------------------- both

_OUTPUT: dict[str, str] = {}


def _run(script: Path, cwd: Path | None = None) -> None:
    """Run ``script`` as ``__main__``; what it prints is kept (ids and epoch-ms times masked) for comparison."""
    import contextlib
    import io

    os.chdir(cwd or script.parent)
    _seed()
    sys.argv = [str(script)]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            runpy.run_path(str(script), run_name="__main__")
    finally:
        text = re.sub(r"\b[0-9a-f]{32}\b", "<id>", printed.getvalue())
        _OUTPUT[script.stem] = re.sub(r"\b1\d{12}\b", "<ms>", text)


def main() -> None:
    mode, out = sys.argv[1], Path(sys.argv[2]).resolve()
    names = sys.argv[3:] or sorted(p.stem for p in EXAMPLES.glob("*.py"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    facts = {}
    for name in names:
        try:
            facts[name] = run_mlflow(name, out) if mode == "mlflow" else run_mlm(name, out)
        except BaseException:  # noqa: BLE001 -- reported per example; the others still run
            facts[name] = {"error": traceback.format_exc()}
        facts[name]["stdout"] = _OUTPUT.get(name, "")
    (out / "facts.json").write_text(json.dumps(facts, indent=1, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
