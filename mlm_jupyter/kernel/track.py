"""``%%track``: run a cell's body as one run, with params, data, history, snapshot, provenance and staleness."""

from __future__ import annotations

import argparse
import ast
import shlex
import time
import traceback
from typing import Any

from mlm_jupyter.core.cell_names import CellNames, analyze
from mlm_jupyter.core.errors import InvalidInputError, MlmError
from mlm_jupyter.kernel import shutdown
from mlm_jupyter.kernel.capture import CellCapture, PendingCell
from mlm_jupyter.kernel.failsafe import FailSafe
from mlm_jupyter.kernel.reproduction_facts import OutputTee, record_reproduction_facts
from mlm_jupyter.kernel.summary import RunSummary
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.cells import source_digest

__all__ = ["TrackMagic", "parse_track_args"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # never SystemExit inside a kernel
        raise InvalidInputError(f"%%track: {message}. Usage: %%track [-e EXPERIMENT] [-n NAME] [--no-data]")


def parse_track_args(line: str) -> argparse.Namespace:
    """Parse ``%%track [-e EXPERIMENT] [-n NAME] [--no-data]``."""
    parser = _Parser(prog="%%track", add_help=False)
    parser.add_argument("-e", "--experiment", default=None)
    parser.add_argument("-n", "--name", default=None)
    parser.add_argument("--no-data", action="store_true")
    return parser.parse_args(shlex.split(line))


def _compile(shell: Any, body: str) -> tuple[Any, Any]:
    """Compile the body as IPython would (magics transformed); the last expression is kept apart."""
    transformed = shell.transform_cell(body)
    # while a cell runs, execution_count already points at the next cell
    filename = shell.compile.cache(transformed, _cell_number(shell), raw_code=body)
    tree = ast.parse(transformed, filename=filename)
    tree = shell.transform_ast(tree)
    flags = getattr(shell.compile, "flags", 0)
    last = None
    try:
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = compile(ast.Expression(tree.body.pop().value), filename, "eval", flags, dont_inherit=True)
        code = compile(tree, filename, "exec", flags, dont_inherit=True)
    except SyntaxError as error:
        if "await" in str(error.msg):  # fine in a plain cell (IPython's autoawait), not inside a magic
            error.msg = (f"{error.msg}: %%track cannot run top-level await. Run this cell without %%track and "
                         "wrap the tracked part in `with mlm.start_run(experiment=..., name=...):`")
            error.args = (error.msg, *error.args[1:])
        raise
    return code, last


def _cell_number(shell: Any) -> int:
    return max(int(getattr(shell, "execution_count", 1) or 1) - 1, 0)


def _user_traceback(error: BaseException) -> str:
    """The traceback as the user's code raised it, without this module's frames."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _execute(shell: Any, code: Any, last: Any) -> Any:
    __tracebackhide__ = True
    exec(code, shell.user_global_ns, shell.user_ns)  # noqa: S102 -- running the user's cell is the job
    return eval(last, shell.user_global_ns, shell.user_ns) if last is not None else None


class TrackMagic:
    """The ``%%track`` cell magic bound to one capture."""

    def __init__(self, shell: Any, capture: CellCapture, failsafe: FailSafe) -> None:
        self.shell = shell
        self.capture = capture
        self.failsafe = failsafe

    def __call__(self, line: str, cell: str) -> Any:
        __tracebackhide__ = True
        try:
            args = parse_track_args(line)
        except (InvalidInputError, ValueError) as error:  # the user's code still runs, as with a bad -e
            print(f"mlm: {error}; the cell runs untracked")
            args = None
        code, last = _compile(self.shell, cell)  # a SyntaxError is the user's: no run is made
        if args is None:
            with fluent.untracked_cell():
                return _execute(self.shell, code, last)
        pending = self.capture.current or PendingCell(
            record_id=_new_id(), source=f"%%track {line}\n{cell}", cell_id=None, start_time=time.time(),
            started=time.perf_counter())
        with shutdown.tracked_cell():
            return self._run(args, code, last, pending, cell)

    def _run(self, args: argparse.Namespace, code: Any, last: Any, pending: PendingCell, cell: str) -> Any:
        __tracebackhide__ = True
        self.capture.drain()  # the history and the data digests of every earlier cell: staleness, inputs
        self.failsafe.call("%%track notebook rename", lambda: self.capture.follow_rename(fluent.get_client()))
        names = analyze(cell)
        inputs = {} if args.no_data else self.failsafe.call(
            "%%track input fingerprints", self.capture.fingerprint_names, names.reads - names.writes) or {}
        before = {} if args.no_data else self.failsafe.call(
            "%%track input fingerprints", self.capture.fingerprint_names, names.reads & names.writes) or {}
        run = self._start(args)
        if run is None:  # the store is unusable: still run the user's code (its log_* calls are dropped)
            with fluent.untracked_cell():
                return _execute(self.shell, code, last)
        pending.run_id = run.id
        started = time.perf_counter()
        status, caught = "finished", None
        output = OutputTee.install()
        try:
            value = _execute(self.shell, code, last)
            output.record_value(value)
            return value
        except BaseException as error:
            status, caught = ("killed" if isinstance(error, KeyboardInterrupt) else "failed"), error
            raise
        finally:
            output.uninstall()
            # a server interrupts a kernel before it shuts it down or restarts it: say which
            stopped_by = shutdown.reason(shutdown.INTERRUPT_GRACE if isinstance(caught, KeyboardInterrupt)
                                         else 0.0) if caught is not None else None
            self.failsafe.call("%%track run end", self._finish, run, args, pending, names, {**before, **inputs},
                               status, caught, time.perf_counter() - started, output.text(), stopped_by)
            if any(r.id == run.id for r in fluent._active):  # _finish broke before ending it
                self.failsafe.call("%%track run end", self._end, run, status, stopped_by or (
                    f"{type(caught).__name__}: {caught}" if caught is not None else None))

    def _start(self, args: argparse.Namespace) -> Any:
        try:
            run = fluent.start_run(args.experiment, args.name, nested=fluent.active_run() is not None,
                                   source=self.capture.notebook_path, provenance=False)  # linked at the end
            fluent._cell_runs.add(run.id)  # the body's own start_run() becomes a child run
            return run
        except MlmError as error:
            print(f"mlm: the run could not start ({error}); the cell runs untracked")
            return None
        except Exception as error:  # noqa: BLE001
            self.failsafe.report("%%track run start", error)
            return None

    def _finish(self, run: Any, args: argparse.Namespace, pending: PendingCell, names: CellNames,
                inputs: dict[str, Any], status: str, error: BaseException | None, elapsed: float,
                output: str = "", stopped_by: str | None = None) -> None:
        client = fluent.get_client()
        safe = self.failsafe.call
        capture = self.capture
        if stopped_by is not None:  # the kernel is going away (the server kills it 2.5 s after asking):
            self._end(run, status, stopped_by)  # the run's end comes first, then what time allows
            safe("%%track params", _log_literals, client, run.id, names.literals)
            safe("%%track cell record", capture.record, pending, time.perf_counter() - pending.started, error,
                 _cell_number(self.shell), final=False)
            return
        if stopped_by is None:  # a kernel going away has seconds left: the run's end comes first
            safe("%%track reproduction facts", record_reproduction_facts, client, run.id, pending.source,
                 [h.source for h in capture.history if h.success is not False], output,
                 skip_files=args.no_data)
        outputs = {} if args.no_data else safe("%%track output fingerprints", capture.fingerprint_names,
                                               names.writes) or {}
        safe("%%track params", _log_literals, client, run.id, names.literals)
        cell_key = self._cell_key(pending)
        previous = safe("%%track previous run", client.previous_cell_run, cell_key, capture.notebook_path)
        staleness = safe("%%track staleness", capture.staleness, pending.source, pending.cell_id, names,
                         pending.start_time) or []
        error_text = stopped_by or (_user_traceback(error) if error is not None else None)
        safe("%%track cell record", capture.record, pending, time.perf_counter() - pending.started, error,
             _cell_number(self.shell), final=False)
        rows = safe("%%track data", _data_rows, client, run.id, inputs, outputs, pending.cell_id,
                    pending.record_id) or []
        if not args.no_data:  # row samples of the tables read: the drift reference of a model trained here
            safe("%%track reference samples", _keep_samples, client, inputs, names, self.shell.user_ns)
        notebook_bytes = capture.notebook.read_bytes() if capture.notebook else None
        safe("%%track cell link", client.link_run_cell, run.id, pending.record_id, capture.session.id, cell_key,
             notebook=capture.notebook_path, notebook_bytes=notebook_bytes, previous_run_id=previous,
             history=[h.record_id for h in capture.history], staleness=staleness, traceback=error_text,
             data=rows)
        self._end(run, status, error_text)
        summary = safe("%%track summary", RunSummary.for_run, client, run.id, elapsed, staleness, previous)
        if summary is not None:
            from IPython.display import display

            display(summary)

    def _cell_key(self, pending: PendingCell) -> str:
        """What makes re-runs 'the same cell': the front end's cell id, the notebook's, else the source."""
        if pending.cell_id:
            return f"id:{pending.cell_id}"
        matched = self.capture.match(pending.source, None, None)
        if matched.cell is not None and matched.cell.cell_id:
            return f"id:{matched.cell.cell_id}"
        return f"source:{source_digest(pending.source)}"

    @staticmethod
    def _end(run: Any, status: str, error_text: str | None) -> None:
        reason = error_text.strip().splitlines()[-1] if error_text else None
        stack = list(fluent._active)
        if not any(r.id == run.id for r in stack):
            return  # the body ended it itself
        while fluent.active_run() is not None:
            top = fluent.active_run()
            fluent.end_run(status if top.id == run.id else "finished", reason if top.id == run.id else None)
            if top.id == run.id:
                break


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex


def _log_literals(client: Any, run_id: str, literals: dict[str, Any]) -> None:
    """Top-level literal assignments become params, unless the body logged that key itself.

    Literals that cannot be params (too long, bad key) are skipped one by one.
    """
    from mlm_jupyter.core.errors import ParamConflictError
    from mlm_jupyter.core.validation import check_key, param_text

    usable = {}
    for key, value in literals.items():
        try:
            check_key(key, "param")
            param_text(value, key)
        except MlmError:
            continue
        usable[key] = value
    if not usable:
        return
    try:
        client.log_params(run_id, usable)
    except ParamConflictError:
        logged = client.get_run(run_id).params
        rest = {k: v for k, v in usable.items() if k not in logged}
        if rest:
            client.log_params(run_id, rest)


def _data_rows(client: Any, run_id: str, inputs: dict[str, Any], outputs: dict[str, Any], cell_id: str | None,
               record_id: str) -> list[dict[str, Any]]:
    """Link the data the body read (inputs) and wrote (outputs, if changed) to the run.

    Goes to the data layer's ``run_inputs`` (``log_inputs``) when it is installed; otherwise the rows
    are returned for ``run_cell_data``.
    """
    rows = [{"name": n, "role": "input", "digest": fp.digest, "kind": fp.kind,
             "fingerprint": _fp_dict(fp)} for n, fp in inputs.items()]
    rows += [{"name": n, "role": "output", "digest": fp.digest, "kind": fp.kind,
              "fingerprint": _fp_dict(fp)} for n, fp in outputs.items()
             if inputs.get(n) is None or inputs[n].digest != fp.digest]
    explicit = _explicitly_logged_digests(client, run_id) if rows else set()
    # data the body already linked with mlm.log_input(..., name=, role=) keeps only that, richer, entry
    rows = [r for r in rows if r["role"] != "input" or r["digest"] not in explicit]
    log_inputs = getattr(client, "log_inputs", None)
    if not rows or not callable(log_inputs):
        return rows
    log_inputs(run_id, [{"name": r["name"], "role": r["role"], "direction": r["role"],
                         "fingerprint": r["fingerprint"], "cell_id": cell_id, "cell_record": record_id}
                        for r in rows])
    return []


def _keep_samples(client: Any, inputs: dict[str, Any], names: CellNames, namespace: dict[str, Any]) -> None:
    """Sample the tables the cell only read (a name it rebound holds another value than its fingerprint's)."""
    from mlm_jupyter.tracking.reference_samples import keep_samples

    read_only = names.reads - names.writes
    keep_samples(client, {n: (fp.digest, namespace[n]) for n, fp in inputs.items()
                          if n in read_only and n in namespace})


def _explicitly_logged_digests(client: Any, run_id: str) -> set[str]:
    """Digests the run's body linked itself (``mlm.log_input``) before the cell ended."""
    try:
        return {str(getattr(item.fingerprint, "digest", "")) for item in client.get_run(run_id).inputs}
    except Exception:  # the automatic links are a convenience; never fail the cell over them
        return set()


def _fp_dict(fp: Any) -> dict[str, Any]:
    to_dict = getattr(fp.fingerprint, "to_dict", None)
    return to_dict() if callable(to_dict) else {"digest": fp.digest, "kind": fp.kind or ""}
