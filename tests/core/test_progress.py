"""Progress bars: shown for long work someone watches, never for short work or non-interactive runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlm_jupyter.core import progress as progress_module
from mlm_jupyter.core.filehash import NullHashCache, hash_directory, hash_file
from mlm_jupyter.core.progress import interactive, progress


@pytest.fixture(autouse=True)
def _as_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about a plain process; an earlier test in this pytest process may have imported
    ipykernel, after which ``tqdm.auto`` picks its notebook bar (which writes to stdout)."""
    import tqdm.auto
    import tqdm.std

    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.std.tqdm)


def test_quiet_when_nobody_watches(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MLM_PROGRESS", raising=False)
    assert not interactive()  # pytest captures stderr: not a terminal, not a kernel
    with progress(10, "work", delay=0) as bar:
        for _ in range(10):
            bar.update()
        assert not bar.shown and bar.count == 10
    assert capsys.readouterr().err == ""


def test_short_work_shows_nothing_even_when_watched(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLM_PROGRESS", "1")
    with progress(3, "quick", delay=30) as bar:
        bar.update(3)
        assert not bar.shown
    assert capsys.readouterr().err == ""


def test_long_work_shows_a_bar_that_is_removed_at_the_end(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLM_PROGRESS", "1")
    with progress(1 << 20, "copying model.bin", unit="B", delay=0) as bar:
        bar.update(1 << 19)
        assert bar.shown
        bar.update(1 << 19)
    assert not bar.shown
    assert "copying model.bin" in capsys.readouterr().err


def test_hashing_a_large_file_and_a_folder_report_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLM_PROGRESS", "1")
    monkeypatch.setattr(progress_module, "DEFAULT_DELAY", 0.0)
    data = tmp_path / "data"
    data.mkdir()
    (data / "big.bin").write_bytes(b"x" * (3 << 20))
    (data / "small.txt").write_text("hello")
    plain = hash_file(data / "big.bin", NullHashCache())
    err = capsys.readouterr().err
    assert "hashing big.bin" in err
    hash_directory(data, NullHashCache())
    assert "hashing data/" in capsys.readouterr().err
    monkeypatch.setenv("MLM_PROGRESS", "0")
    assert hash_file(data / "big.bin", NullHashCache()) == plain  # the bar never changes the digest
    assert capsys.readouterr().err == ""


def test_progress_is_importable_without_tqdm_being_loaded() -> None:
    code = ("import sys\nfrom mlm_jupyter.core.progress import progress\n"
            "with progress(5, 'x') as bar:\n    bar.update(5)\nprint('tqdm' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
