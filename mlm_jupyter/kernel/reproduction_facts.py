"""What a ``%%track`` run records so that a later reproduction can be checked and explained.

- the working directory the kernel ran in (tag ``mlm.workdir``): relative file paths are read from there;
- a fingerprint of every file its cells read by a literal path (run inputs named ``file:<path>``), so a
  gathered notebook can say "this file changed since the run";
- the text the tracked cell printed, and the repr of its last expression (artifact
  ``mlm/cell_output.txt``, tag ``mlm.output_sha256``), so a re-run's output can be compared.

The output is copied, not diverted: ``OutputTee`` passes every write through to the stream the user sees.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Sequence

__all__ = ["MAX_OUTPUT_CHARS", "OUTPUT_ARTIFACT", "OutputTee", "record_reproduction_facts"]

OUTPUT_ARTIFACT = "mlm/cell_output.txt"
MAX_OUTPUT_CHARS = 64 * 1024
_MAX_FILES = 20
_MAX_FILE_BYTES = 2 << 30


class OutputTee:
    """Copies what the tracked body prints (up to ``MAX_OUTPUT_CHARS``) while it still reaches the user."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._parts: list[str] = []
        self._size = 0
        self._installed = False

    @classmethod
    def install(cls) -> OutputTee:
        tee = cls(sys.stdout)
        sys.stdout = _TeeStream(sys.stdout, tee)
        tee._installed = True
        return tee

    def uninstall(self) -> None:
        if self._installed and isinstance(sys.stdout, _TeeStream) and sys.stdout._tee is self:
            sys.stdout = self._stream
        self._installed = False

    def add(self, text: str) -> None:
        if self._size < MAX_OUTPUT_CHARS and isinstance(text, str):
            piece = text[:MAX_OUTPUT_CHARS - self._size]
            self._parts.append(piece)
            self._size += len(piece)

    def record_value(self, value: Any) -> None:
        """The cell's last expression, as IPython would show it in ``Out[n]`` (plain-text repr)."""
        if value is None:
            return
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 -- a broken __repr__ is the user's; the output copy just lacks it
            return
        self.add(f"Out: {text[:MAX_OUTPUT_CHARS]}\n")

    def text(self) -> str:
        return "".join(self._parts)


class _TeeStream:
    """A stand-in for ``sys.stdout`` that writes through and keeps a copy; everything else is the real stream's."""

    def __init__(self, stream: Any, tee: OutputTee) -> None:
        self._real = stream
        self._tee = tee

    def write(self, text: str) -> int:
        written = self._real.write(text)
        self._tee.add(text)
        return written  # type: ignore[no-any-return]

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def record_reproduction_facts(client: Any, run_id: str, target: str, history: Sequence[str], output: str, *,
                              skip_files: bool = False) -> None:
    """Record the working directory, the fingerprints of files read, and the cell's printed output."""
    from mlm_jupyter.core.gather import HistoryCell, slice_history, unresolved_files

    tags = {"mlm.workdir": os.getcwd()}
    if output:
        tags["mlm.output_sha256"] = hashlib.sha256(output.encode("utf-8", "replace")).hexdigest()
        client.log_text(run_id, output, OUTPUT_ARTIFACT)
    client.set_tags(run_id, tags)
    if skip_files:
        return
    cells = [HistoryCell(source) for source in history]
    paths = unresolved_files(cells, slice_history(cells, target), target)[:_MAX_FILES]
    items = []
    for path in paths:
        file = Path(path)
        try:
            if not file.is_file() or file.stat().st_size > _MAX_FILE_BYTES:
                continue
        except OSError:
            continue
        from mlm_jupyter.core.fingerprint import fingerprint

        items.append({"name": f"file:{path}", "role": "input", "direction": "input",
                      "fingerprint": fingerprint(file, profile=False)})
    if items:
        client.log_inputs(run_id, items)
