"""``mlm models ls|show|promote|history|export``: the model registry from the command line."""

from __future__ import annotations

import click

from mlm_jupyter.cli.output import client_from, echo_frame, echo_json, fail
from mlm_jupyter.core.errors import MlmError, PromotionBlockedError

__all__ = ["models"]


def _split_ref(ref: str) -> tuple[str, int | str | None]:
    """``NAME``, ``NAME@ALIAS`` or ``NAME/VERSION`` (a ``models:/`` prefix is allowed)."""
    ref = ref.removeprefix("models:/")
    if "@" in ref:
        name, _, alias = ref.partition("@")
        return name, alias
    name, _, version = ref.partition("/")
    return name, int(version) if version.isdigit() else None


@click.group()
def models() -> None:
    """Registered models: versions, aliases, promotion and history."""


@models.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_ls(ctx: click.Context, as_json: bool) -> None:
    """Every registered model with its latest version and aliases."""
    import pandas as pd

    try:
        found = client_from(ctx).models()
    except MlmError as error:
        fail(error)
    frame = pd.DataFrame([{"name": m.name, "versions": m.versions, "latest": m.latest_version,
                           "aliases": ", ".join(f"{a}=v{v}" for a, v in m.aliases.items()),
                           "updated": m.updated_at} for m in found],
                         columns=["name", "versions", "latest", "aliases", "updated"])
    echo_frame(frame, as_json)


@models.command("show")
@click.argument("ref")
@click.option("--card", is_flag=True, help="Print the model card (markdown) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_show(ctx: click.Context, ref: str, card: bool, as_json: bool) -> None:
    """One model: NAME (its versions), NAME@ALIAS or NAME/VERSION (one version)."""
    import pandas as pd

    name, which = _split_ref(ref)
    try:
        client = client_from(ctx)
        if card:
            click.echo(client.model_card(name, which))
            return
        if which is None and "/" not in ref.removeprefix("models:/") and "@" not in ref:
            versions = client.model_versions(name)
            frame = pd.DataFrame([{"version": v.version, "status": v.status, "aliases": ", ".join(v.aliases),
                                   "flavor": v.flavor, "run_id": v.run_id, "created": v.created_at,
                                   "sha256": v.sha256[:12]} for v in versions],
                                 columns=["version", "status", "aliases", "flavor", "run_id", "created", "sha256"])
            echo_frame(frame, as_json)
            return
        version = client.get_model_version(name, which)
    except MlmError as error:
        fail(error)
    record = {"name": version.name, "version": version.version, "status": version.status,
              "aliases": list(version.aliases), "flavor": version.flavor, "run_id": version.run_id,
              "sha256": version.sha256, "size": version.size, "source": version.source,
              "created_at": version.created_at, "created_by": version.created_by,
              "description": version.description,
              "signature": version.signature.to_dict() if version.signature else None,
              "requirements": list(version.requirements), "metrics": dict(version.metrics)}
    if as_json:
        echo_json(record)
        return
    for key in ("name", "version", "status", "aliases", "flavor", "run_id", "sha256", "size", "source",
                "created_at", "created_by", "description"):
        if record[key] not in (None, [], ""):
            value = ", ".join(record[key]) if isinstance(record[key], list) else record[key]
            click.echo(f"{key:>12}: {value}")
    if version.signature:
        click.echo(f"{'signature':>12}: {version.signature.describe()}")
    if version.metrics:
        click.echo("\nmetrics:")
        for key, value in sorted(version.metrics.items()):
            click.echo(f"  {key} = {value:g}")
    if version.requirements:
        click.echo("\nrequirements:\n  " + "\n  ".join(version.requirements))


@models.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.argument("alias")
@click.option("--reason", "-r", default=None, help="Why (kept in the model history).")
@click.option("--force", is_flag=True, help="Override failed promotion rules (needs --reason; recorded).")
@click.pass_context
def models_promote(ctx: click.Context, name: str, version: int, alias: str, reason: str | None, force: bool) -> None:
    """Point ALIAS of NAME at VERSION. Exits 1 with the rule's message when a promotion gate blocks it."""
    try:
        moved = client_from(ctx).set_alias(name, alias, version, reason=reason, force=force)
    except PromotionBlockedError as error:
        click.echo(f"to override: mlm models promote {name} {version} {alias} --force --reason '...' "
                   "(recorded in the model history)", err=True)
        fail(error)
    except MlmError as error:
        fail(error)
    click.echo(f"{name}@{alias} -> v{moved.version}" + (" (forced)" if force else ""))


@models.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_history(ctx: click.Context, name: str, as_json: bool) -> None:
    """The audit trail of NAME: every version, alias, archive and rule change."""
    try:
        frame = client_from(ctx).model_history(name)
    except MlmError as error:
        fail(error)
    if not as_json:
        frame = frame.drop(columns=["details"])
    echo_frame(frame, as_json)


@models.command("export")
@click.argument("uri")
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--overwrite", is_flag=True, help="Write into a non-empty directory.")
@click.pass_context
def models_export(ctx: click.Context, uri: str, path: str, overwrite: bool) -> None:
    """Write the model at URI (models:/NAME@ALIAS, models:/NAME/3, runs:/ID/model) to the directory PATH."""
    if not uri.startswith(("models:/", "runs:/")):
        uri = "models:/" + uri
    try:
        target = client_from(ctx).export_model(uri, path, overwrite=overwrite)
    except MlmError as error:
        fail(error)
    click.echo(str(target))
