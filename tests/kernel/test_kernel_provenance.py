"""Git state and environment of a run (tracking.provenance) and how a run stores them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.provenance import environment, git_state


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "T")
    git(path, "remote", "add", "origin", "https://example.com/team/project.git")
    (path / "train.py").write_text("print('v1')\n")
    git(path, "add", "train.py")
    git(path, "commit", "-q", "-m", "first")
    return path


def test_clean_work_tree(repo: Path) -> None:
    state = git_state(repo)
    assert state is not None
    assert len(state.commit or "") == 40 and state.branch == "main"
    assert state.remote == "https://example.com/team/project.git"
    assert not state.dirty and state.diff == b""


def test_dirty_diff_is_captured_and_capped(repo: Path) -> None:
    (repo / "train.py").write_text("print('v2')\n" * 1000)
    state = git_state(repo, max_diff_bytes=100)
    assert state is not None and state.dirty
    assert state.diff_truncated and len(state.diff) == 100 and state.diff_size > 100
    assert state.diff.startswith(b"diff --git")


def test_outside_a_work_tree(tmp_path: Path) -> None:
    assert git_state(tmp_path) is None


def test_environment_is_stable_and_lists_distributions() -> None:
    first, second = environment(), environment()
    assert first["digest"] == second["digest"] and len(first["digest"]) == 64
    assert "duckdb" in first["packages"] and first["python"].count(".") == 2


def test_run_provenance_is_stored_once_per_environment(client: MlmClient, repo: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "train.py").write_text("print('dirty')\n")
    monkeypatch.chdir(repo)
    runs = [client.create_run("prov") for _ in range(3)]
    for run in runs:
        client.log_provenance(run.id)
    stored = client.get_run(runs[0].id).provenance
    assert stored["git_dirty"] is True and stored["git_branch"] == "main"
    assert stored["git"]["commit"] == stored["git_commit"]
    assert client.store.read_blob(stored["git_diff_sha256"]).startswith(b"diff --git")
    assert stored["environment_digest"] == environment()["digest"]
    assert int(client.sql("SELECT count(*) AS n FROM environments")["n"][0]) == 1
    assert "duckdb" in client.environment(stored["environment_digest"])["packages"]
