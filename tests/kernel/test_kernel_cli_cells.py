"""``mlm cells ls|show`` over cell records."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mlm_jupyter.cli.main import cli
from mlm_jupyter.tracking.cells import source_digest
from mlm_jupyter.tracking.client import MlmClient


def test_cells_ls_and_show(store_dir: Path) -> None:
    client = MlmClient(store_dir)
    source = "df = load()\ndf.head()"
    client.record_cell({"id": "rec1", "session_id": "s", "seq": 0, "execution_count": 1,
                        "source_sha256": source_digest(source), "start_time": 1000.0, "duration": 0.5,
                        "success": True, "names_read": ["load"], "names_written": ["df"]}, source,
                       [{"record_id": "rec1", "name": "df", "role": "write", "kind": "pandas.DataFrame",
                         "digest": "a" * 32, "changed": True, "rehashed": True}])
    client.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["--store", str(store_dir), "cells", "ls", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows[0]["record_id"] == "rec1" and rows[0]["first_line"] == "df = load()"
    shown = runner.invoke(cli, ["--store", str(store_dir), "cells", "show", "rec1"])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.output)
    assert record["source"] == source and record["data"][0]["digest"] == "a" * 32
    missing = runner.invoke(cli, ["--store", str(store_dir), "cells", "show", "nope"])
    assert missing.exit_code != 0 and "mlm cells ls" in missing.output
