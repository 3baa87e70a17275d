"""``mlm scan MODEL --data PATH_OR_DATASET --target y``: scan a model version from a shell or CI.

Exit status: 0 when no finding reaches ``--fail-on`` (default ``high``), 1 when
one does, 2 when the scan could not run (bad arguments, missing model or data).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from mlm_jupyter.cli.output import client_from, echo_json
from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError

__all__ = ["scan"]

_READERS = {".csv": "read_csv", ".tsv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet",
            ".json": "read_json", ".jsonl": "read_json", ".feather": "read_feather"}


def _read_file(path: Path) -> Any:
    import pandas as pd

    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InvalidInputError(f"{path}: cannot read {path.suffix or 'a file without extension'}; give a .csv, "
                                ".parquet, .json/.jsonl or .feather file")
    kwargs: dict[str, Any] = {"sep": "\t"} if path.suffix.lower() == ".tsv" else {}
    if path.suffix.lower() == ".jsonl":
        kwargs["lines"] = True
    return getattr(pd, reader)(path, **kwargs)


def load_table(client: Any, spec: str) -> Any:
    """A DataFrame from a file path, or from a logged dataset (``NAME`` or ``NAME:VERSION``) whose file still
    matches its recorded fingerprint."""
    path = Path(spec).expanduser()
    if path.is_file():
        return _read_file(path)
    name, _, version = spec.partition(":")
    try:
        dataset = client.get_dataset_version(name, int(version) if version.isdigit() else None)
    except NotFoundError:
        raise InvalidInputError(f"--data {spec!r} is neither a file nor a logged dataset (see mlm.datasets())"
                                ) from None
    source = dataset.source
    if not source or not os.path.isfile(source):
        raise InvalidInputError(f"dataset {dataset.name} v{dataset.version} was logged from an object, not a file "
                                f"({source or 'no path recorded'}); pass the data file with --data PATH")
    digest = client.fingerprint(source).digest
    if digest != dataset.digest:
        raise InvalidInputError(f"{source} changed since dataset {dataset.name} v{dataset.version} was logged "
                                f"(digest {digest[:12]} != {dataset.digest[:12]}); pass the file itself with --data")
    return _read_file(Path(source))


def _split(frame: Any, target: str, what: str) -> tuple[Any, Any]:
    if target not in frame.columns:
        raise InvalidInputError(f"{what} has no column {target!r} (columns: {', '.join(map(str, frame.columns[:15]))})")
    return frame.drop(columns=[target]), frame[target]


@click.command("scan")
@click.argument("model")
@click.option("--data", "data", required=True, help="Test data: a .csv/.parquet/.json file or a logged dataset NAME[:V].")
@click.option("--target", required=True, help="The label column of the data.")
@click.option("--train", "train", default=None, help="Training data (same form): enables the gap and leakage checks.")
@click.option("--sensitive", multiple=True, help="A sensitive column to check for bias (repeatable).")
@click.option("--check", "checks", multiple=True, help="Run only this check (repeatable).")
@click.option("--fail-on", default="high", show_default=True, help="Severity from which a finding fails the scan.")
@click.option("--task", default=None, help="binary, multiclass or regression (default: inferred).")
@click.option("--html", "html", type=click.Path(dir_okay=False), default=None, help="Also write the report as HTML.")
@click.option("--trust-pickle", is_flag=True, help="Allow loading a pickle-flavor model (it can run code).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (docs/scan.md).")
@click.pass_context
def scan(ctx: click.Context, model: str, data: str, target: str, train: str | None, sensitive: tuple[str, ...],
         checks: tuple[str, ...], fail_on: str, task: str | None, html: str | None, trust_pickle: bool,
         as_json: bool) -> None:
    """Scan MODEL (models:/NAME/VERSION, models:/NAME@ALIAS or runs:/ID/model) on --data; exit 1 on a failing finding."""
    from mlm_jupyter.tracking.scan import scan_with

    try:
        client = client_from(ctx)
        X, y = _split(load_table(client, data), target, "--data")
        train_pair = _split(load_table(client, train), target, "--train") if train else None
        report = scan_with(client, model, X, y, train=train_pair, sensitive=list(sensitive) or None, task=task,
                           checks=list(checks) or None, fail_on=fail_on, trust_pickle=trust_pickle,
                           progress=False if as_json else None)
    except MlmError as error:
        click.secho(f"error [{error.code}]: {error.message}", fg="red", err=True)
        raise SystemExit(2) from None
    if html:
        Path(html).write_text(report.to_html(), encoding="utf-8")
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(report.summary())
        for finding in report.failing():
            click.echo(f"\n[{finding.severity}] {finding.check}: {finding.title}\n  {finding.explanation}\n"
                       f"  fix: {finding.fix}")
    raise SystemExit(0 if report.passed else 1)
