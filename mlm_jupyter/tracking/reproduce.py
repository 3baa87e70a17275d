"""``reproduce(run_id)``: re-run the gathered notebook of a run in a fresh kernel and say whether it reproduced.

The gathered notebook (``tracking.gather``) is executed with nbclient in a
new kernel whose store is a private temporary one, so the re-run cannot
touch the original store and needs no lock on it. Its ``%%track`` cell makes
a run there; that run is compared with the original: data fingerprints of
inputs, params, metrics (within ``tolerance``), data fingerprints of outputs,
and the text the cell printed. The verdict is recorded in the original store
as a *reproduction run* in the same experiment, linked by tags:

- on the reproduction run: ``mlm.reproduction_of`` (the original run id),
  ``mlm.reproduction.verdict``, ``mlm.reproduction.difference`` (the first one)
  and ``mlm.reproduction.reason`` (why, where it can tell);
- on the original run: ``mlm.reproduced`` (the latest verdict) and
  ``mlm.reproduced_by`` (the latest reproduction run id).

Verdicts: ``reproduced``; ``differs`` with the first difference named and,
where the code shows it, why (an estimator without ``random_state``, an
unseeded global RNG, clock- or timing-dependent code, a changed file, a
network read, a changed package, Python or git commit); ``failed`` with the
error of the cell that failed (or the timeout).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.errors import InvalidInputError, MlmError

if TYPE_CHECKING:
    from mlm_jupyter.core.entities import Run
    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.tracking.gather import GatherPlan

__all__ = ["Difference", "Reproduction", "reproduce", "reproductions"]

VERDICTS = ("reproduced", "differs", "failed")
_OUTPUT_ARTIFACT = "mlm/cell_output.txt"
_SERVER_VARIABLES = ("MLM_SERVER_URL", "MLM_SERVER_PID", "MLM_SERVER_TOKEN", "MLM_TOKEN", "JPY_PARENT_PID",
                     "JPY_SESSION_NAME", "MLM_ARTIFACTS")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class Difference:
    """One way the re-run differs from the original."""

    kind: str  # input | param | metric | output | printed output | run
    name: str
    original: Any
    reproduced: Any

    def describe(self) -> str:
        if self.kind == "printed output":
            return f"the tracked cell printed something else: {self.original!r} became {self.reproduced!r}"
        if self.original is None:
            return f"{self.kind} `{self.name}` is new in the re-run ({self.reproduced!r})"
        if self.reproduced is None:
            return f"{self.kind} `{self.name}` ({self.original!r}) is missing from the re-run"
        return f"{self.kind} `{self.name}` was {self.original!r}, the re-run gave {self.reproduced!r}"


@dataclass(frozen=True)
class Reproduction:
    """The verdict of one reproduction of a run."""

    run_id: str
    verdict: str
    differences: tuple[Difference, ...] = ()
    reasons: tuple[str, ...] = ()
    environment: tuple[str, ...] = ()
    error: str | None = None
    reproduction_run_id: str | None = None
    rerun_run_id: str | None = None
    notebook: str | None = None
    duration: float = 0.0
    cannot_reproduce: tuple[str, ...] = field(default=())

    @property
    def reproduced(self) -> bool:
        return self.verdict == "reproduced"

    @property
    def first_difference(self) -> str | None:
        return self.differences[0].describe() if self.differences else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the views and ``mlm reproduce --json`` show it)."""
        record = asdict(self)
        record["differences"] = [{**asdict(d), "description": d.describe()} for d in self.differences]
        record["first_difference"] = self.first_difference
        for item in record["differences"]:
            item["original"], item["reproduced"] = _jsonable(item["original"]), _jsonable(item["reproduced"])
        return record

    def summary(self) -> str:
        lines = [f"run {self.run_id}: {self.verdict}"]
        if self.error:
            lines.append(f"error: {self.error}")
        if self.first_difference:
            lines.append(f"first difference: {self.first_difference}")
            if len(self.differences) > 1:
                lines.append(f"({len(self.differences) - 1} more difference(s))")
        lines += [f"why: {reason}" for reason in self.reasons]
        lines += [f"environment: {note}" for note in self.environment]
        if self.reproduction_run_id:
            lines.append(f"recorded as run {self.reproduction_run_id}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        import html

        colour = {"reproduced": "var(--jp-success-color1, green)", "differs": "var(--jp-warn-color1, orange)",
                  "failed": "var(--jp-error-color1, red)"}[self.verdict]
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.summary().splitlines()[1:])
        return (f"<div class='mlm-reproduction'><b style='color:{colour}'>{html.escape(self.verdict)}</b> "
                f"run <code>{html.escape(self.run_id)}</code><ul>{items}</ul></div>")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def reproduce(run_id: str, *, timeout: float = 600.0, tolerance: float = 0.0, client: MlmClient | None = None,
              record: bool = True, keep: str | os.PathLike[str] | None = None,
              kernel_name: str = "python3") -> Reproduction:
    """Gather ``run_id``'s notebook, execute it in a fresh kernel, compare, and record the verdict.

    Args:
        run_id: a run made by a ``%%track`` cell, or a ``models:/`` URI whose run was.
        timeout: seconds each cell may take before the reproduction counts as failed.
        tolerance: relative tolerance for metrics (0: exact, for deterministic code).
        client: the client of the original store (default: the fluent API's).
        record: record a reproduction run in the original store (and tag the original with the verdict).
        keep: a folder to keep the gathered and executed notebooks in (default: a temporary one, removed).
        kernel_name: the kernel to run the notebook in.

    Returns:
        A ``Reproduction`` with the verdict, the differences (first one first), the reasons and environment notes.
    """
    if not isinstance(tolerance, (int, float)) or not math.isfinite(tolerance) or tolerance < 0:
        raise InvalidInputError(f"tolerance must be a finite number >= 0, not {tolerance!r}")
    if not isinstance(timeout, (int, float)) or not timeout > 0:
        raise InvalidInputError(f"timeout must be a number of seconds > 0, not {timeout!r}")
    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    from mlm_jupyter.tracking.gather import notebook_from_plan, plan_gather

    plan = plan_gather(client, run_id)
    original = plan.run
    folder = Path(keep) if keep is not None else Path(tempfile.mkdtemp(prefix="mlm-reproduce-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        notebook = notebook_from_plan(plan)
        gathered = folder / "gathered.ipynb"
        import nbformat

        nbformat.write(notebook, gathered)
        store = folder / "store"
        error = _execute(notebook, folder / "executed.ipynb", store, plan.workdir, timeout, kernel_name)
        rerun, printed = (None, None) if error else _rerun(store, plan)
        if error is None and rerun is None:
            error = "the tracked cell made no run in the re-run (was %%track removed or the extension not loaded?)"
        differences = () if rerun is None else tuple(_compare(client, original, rerun, printed, tolerance))
        verdict = "failed" if error else ("differs" if differences else "reproduced")
        environment = tuple(_environment_notes(client, original))
        reasons = tuple(_reasons(plan, environment)) if verdict != "reproduced" else ()
        result = Reproduction(
            run_id=original.id, verdict=verdict, differences=differences, reasons=reasons,
            environment=environment, error=error, rerun_run_id=rerun.id if rerun else None,
            notebook=str(gathered) if keep is not None else None, duration=time.monotonic() - started,
            cannot_reproduce=plan.cannot_reproduce)
        if record:
            result = _record(client, original, result, rerun, folder)
        return result
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def reproductions(run_id: str, *, client: MlmClient | None = None) -> list[dict[str, Any]]:
    """The reproduction runs of ``run_id``, newest first: id, verdict, first difference, reason, time."""
    if client is None:
        from mlm_jupyter.tracking.fluent import get_client

        client = get_client()
    frame = client.search_runs(f"tags.`mlm.reproduction_of` = '{_quoted(run_id)}'",
                               order_by=["attributes.start_time desc"])
    found = []
    for row in frame.to_dict("records"):
        found.append({"run_id": row["run_id"], "verdict": row.get("tags.mlm.reproduction.verdict"),
                      "difference": row.get("tags.mlm.reproduction.difference"),
                      "reason": row.get("tags.mlm.reproduction.reason"), "start_time": row.get("start_time")})
    return found


def _quoted(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", text):
        raise InvalidInputError(f"not a run id: {text!r}")
    return text


# ------------------------------------------------------------------ executing

def _kernel_environment(store: Path) -> dict[str, str]:
    """The fresh kernel writes to its own store and never to a server the caller happens to be under."""
    env = {k: v for k, v in os.environ.items()
           if k not in _SERVER_VARIABLES and not k.startswith(("MLM_", "JPY_"))}  # MLM_NOTEBOOK, MLM_RUN_OWNER...
    env.update(MLM_STORE=str(store), MLM_NO_SERVER="1", PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _execute(notebook: Any, executed: Path, store: Path, workdir: str | None, timeout: float,
             kernel_name: str) -> str | None:
    """Run the notebook top to bottom; the error that stopped it, or None."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    cwd = workdir if workdir and Path(workdir).is_dir() else str(executed.parent)
    runner = NotebookClient(notebook, timeout=int(math.ceil(timeout)), kernel_name=kernel_name,
                            resources={"metadata": {"path": cwd}}, allow_errors=False)
    try:
        runner.execute(env=_kernel_environment(store))
        return None
    except CellTimeoutError:
        return f"a cell did not finish within {timeout:g} s (raise --timeout if it needs longer)"
    except DeadKernelError as error:
        return f"the kernel died while running the notebook: {error}"
    except CellExecutionError as error:
        return _cell_error(notebook, error)
    finally:
        try:
            nbformat.write(notebook, executed)
        except (OSError, ValueError):
            pass


def _cell_error(notebook: Any, error: Any) -> str:
    name, value = getattr(error, "ename", "") or "Error", getattr(error, "evalue", "") or ""
    position = ""
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            first_line = (cell.source.strip().splitlines() or [""])[0][:80]
            position = f" in code cell {number} of {len(code_cells)} ({first_line!r})"
            break
    return f"{name}: {value}{position}".strip()


def _rerun(store: Path, plan: GatherPlan) -> tuple[Run | None, str | None]:
    """The run the gathered notebook's ``%%track`` cell made in the private store, and what that cell printed.

    Both are read in one opening of the private store.
    """
    from mlm_jupyter.tracking.client import MlmClient

    if not (store / "mlm.duckdb").exists():
        return None, None
    private = MlmClient(store)
    try:
        frame = private.search_runs(experiment=plan.run.experiment, order_by=["attributes.start_time desc"])
        for run_id in frame["run_id"] if len(frame) else []:
            run = private.get_run(str(run_id))
            if (run.cell or {}).get("source") and run.parent_run_id is None:
                return run, _printed_text(private, run)
        return None, None
    finally:
        private.close()


# ------------------------------------------------------------------ comparing

def _compare(client: MlmClient, original: Run, rerun: Run, printed: str | None,
             tolerance: float) -> list[Difference]:
    found: list[Difference] = []
    found += _data_differences(original, rerun, "input")
    found += _mapping_differences("param", dict(original.params), dict(rerun.params), _same_text)
    found += _mapping_differences("metric", dict(original.metrics), dict(rerun.metrics),
                                  lambda a, b: _same_number(a, b, tolerance))
    found += _data_differences(original, rerun, "output")
    difference = _printed_difference(client, original, printed or "")
    if difference is not None:
        found.append(difference)
    return found


def _mapping_differences(kind: str, original: dict[str, Any], rerun: dict[str, Any],
                         same: Any) -> list[Difference]:
    found = []
    for key in sorted(set(original) | set(rerun)):
        a, b = original.get(key), rerun.get(key)
        if a is None or b is None or not same(a, b):
            found.append(Difference(kind, key, a, b))
    return found


def _same_text(a: Any, b: Any) -> bool:
    return str(a) == str(b)


def _same_number(a: Any, b: Any, tolerance: float) -> bool:
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    return tolerance > 0 and math.isclose(x, y, rel_tol=tolerance, abs_tol=0.0)


def _data(run: Run, direction: str) -> dict[str, str]:
    found: dict[str, str] = {}
    items = list(run.inputs) + list(getattr(run, "outputs", ()) or ())
    for item in items:
        role = str(getattr(item, "role", "") or "")
        item_direction = "output" if role == "output" or getattr(item, "direction", None) == "output" else "input"
        if item_direction == direction:
            found[str(item.name)] = str(getattr(item.fingerprint, "digest", ""))
    return found


def _data_differences(original: Run, rerun: Run, direction: str) -> list[Difference]:
    before, after = _data(original, direction), _data(rerun, direction)
    kind = "input" if direction == "input" else "output"
    return [Difference(f"{kind} data", name, before[name], after.get(name))
            for name in sorted(before) if after.get(name) != before[name]]


def _printed_text(client: MlmClient, run: Run) -> str | None:
    if not any(a.path == _OUTPUT_ARTIFACT for a in run.artifacts):
        return None
    try:
        folder = Path(tempfile.mkdtemp(prefix="mlm-output-"))
        try:
            path = client.download_artifact(run.id, _OUTPUT_ARTIFACT, folder)
            return Path(path).read_text(encoding="utf-8", errors="replace")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    except (MlmError, OSError):
        return None


def _printed_difference(client: MlmClient, original: Run, after: str) -> Difference | None:
    """The first line the re-run printed differently (None when the original printed nothing recorded)."""
    before = _printed_text(client, original)
    if before is None:
        return None
    a_lines, b_lines = _normalised(before).splitlines(), _normalised(after).splitlines()
    if a_lines == b_lines:
        return None
    for a, b in zip(a_lines, b_lines):
        if a != b:
            return Difference("printed output", "stdout", a, b)
    shorter = min(len(a_lines), len(b_lines))  # one is a prefix of the other: the first extra line differs
    return Difference("printed output", "stdout", a_lines[shorter] if len(a_lines) > shorter else None,
                      b_lines[shorter] if len(b_lines) > shorter else None)


def _normalised(text: str) -> str:
    """Object addresses (``<Foo at 0x7f..>``) differ on every run without meaning anything."""
    return _ADDRESS.sub(" at 0x?", text).rstrip()


# ------------------------------------------------------------------ explaining

def _reasons(plan: GatherPlan, environment: tuple[str, ...]) -> list[str]:
    reasons = []
    if plan.unseeded_estimators:
        reasons.append("an estimator or split without random_state: " + ", ".join(plan.unseeded_estimators)
                       + " (not deterministic even without mlm; pass random_state=0)")
    if plan.unseeded_rng:
        reasons.append("the global random stream (random / numpy.random) is drawn from but never seeded")
    if plan.clock:
        reasons.append("timing-dependent code: " + ", ".join(plan.clock))
    reasons += [f"the file {p} changed since the run" for p in plan.changed_files]
    reasons += [f"the file {p} no longer exists" for p in plan.missing_files]
    if plan.network:
        reasons.append("data read from the network: " + ", ".join(plan.network))
    if plan.unresolved_names:
        reasons.append("names defined outside the recorded session: " + ", ".join(plan.unresolved_names))
    reasons += [f"{note}" for note in environment]
    if not reasons:
        reasons.append("no cause found in the code or the environment")
    return reasons


def _environment_notes(client: MlmClient, original: Run) -> list[str]:
    """Differences between the run's recorded provenance and this process's environment."""
    notes: list[str] = []
    provenance = dict(original.provenance or {})
    import platform

    recorded_python = provenance.get("python")
    if recorded_python and str(recorded_python).split()[0] != platform.python_version():
        notes.append(f"Python {recorded_python} then, {platform.python_version()} now")
    digest = provenance.get("environment_digest")
    if digest:
        try:
            then = client.store.read("environment", digest=digest)
        except MlmError:
            then = None
        if then:
            from mlm_jupyter.tracking.provenance import environment

            now = environment()
            notes += _package_notes(dict(then.get("packages") or {}), dict(_packages(now)))
    commit = provenance.get("git_commit") or provenance.get("commit")
    root = provenance.get("git_root")
    if commit and root and Path(str(root)).is_dir():
        from mlm_jupyter.tracking.provenance import git_state

        state = git_state(str(root))
        if state is not None and state.commit and state.commit != commit:
            notes.append(f"git commit {str(commit)[:10]} then, {state.commit[:10]} now")
    return notes


def _packages(env: Any) -> dict[str, str]:
    packages = getattr(env, "packages", None)
    if packages is None and isinstance(env, dict):
        packages = env.get("packages")
    return dict(packages or {})


def _package_notes(then: dict[str, str], now: dict[str, str], limit: int = 10) -> list[str]:
    changed = [f"{name} {then[name]} then, {now[name]} now" for name in sorted(then)
               if name in now and now[name] != then[name]]
    missing = [f"{name} {then[name]} then, not installed now" for name in sorted(then) if name not in now]
    notes = changed + missing
    if len(notes) > limit:
        notes = notes[:limit] + [f"... and {len(notes) - limit} more package differences"]
    return notes


# ------------------------------------------------------------------ recording

def _record(client: MlmClient, original: Run, result: Reproduction, rerun: Run | None, folder: Path) -> Reproduction:
    from dataclasses import replace

    run = client.create_run(experiment=original.experiment, name=f"reproduce-{original.name}"[:250])
    try:
        tags = {"mlm.reproduction_of": original.id, "mlm.reproduction.verdict": result.verdict,
                "mlm.reproduction.difference": (result.first_difference or result.error or "")[:4000],
                "mlm.reproduction.reason": "; ".join(result.reasons)[:4000]}
        client.set_tags(run.id, tags)
        if rerun is not None:
            params = {k: v for k, v in rerun.params.items()}
            if params:
                client.log_params(run.id, params)
            metrics = {k: float(v) for k, v in rerun.metrics.items()}
            if metrics:
                client.log_metrics(run.id, metrics, step=0)
        for name in ("gathered.ipynb", "executed.ipynb"):
            if (folder / name).is_file():
                client.log_artifact(run.id, folder / name, "reproduction")
        client.end_run(run.id, "failed" if result.verdict == "failed" else "finished",
                       result.error if result.verdict == "failed" else None)
    except BaseException:
        client.end_run(run.id, "failed", "the reproduction could not be recorded")
        raise
    client.set_tags(original.id, {"mlm.reproduced": result.verdict, "mlm.reproduced_by": run.id})
    return replace(result, reproduction_run_id=run.id)
