"""A notebook's code cells and matching an executed source to one of them.

Front ends that send ``metadata.cellId`` (JupyterLab) are matched by id;
others (nbclient, plain IPython) by source text, whitespace at the ends
ignored. Among several cells with the same source, the first one after the
previously matched cell wins, so a top-to-bottom run matches in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CodeCell", "NotebookIndex", "normalize_source"]


def normalize_source(source: str) -> str:
    """The source as compared for matching (line endings unified, ends stripped)."""
    return source.replace("\r\n", "\n").strip()


class CodeCell:
    """One code cell: its position among the notebook's code cells, its id (if the format has one), its source."""

    __slots__ = ("cell_id", "index", "source")

    def __init__(self, index: int, cell_id: str | None, source: str) -> None:
        self.index = index
        self.cell_id = cell_id
        self.source = source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeCell) and (self.index, self.cell_id, self.source) == (
            other.index, other.cell_id, other.source)

    def __hash__(self) -> int:
        return hash((self.index, self.cell_id, self.source))

    def __repr__(self) -> str:
        return f"CodeCell(index={self.index!r}, cell_id={self.cell_id!r}, source={self.source!r})"


class NotebookIndex:
    """The code cells of one notebook, indexed for matching.

    Plain classes, not dataclasses: the kernel extension imports this module at ``%load_ext``, and every
    object made then counts towards the notebook's next garbage collection (see docs/kernel-capture.md).
    """

    __slots__ = ("_by_id", "_by_source", "cells")

    def __init__(self, cells: Sequence[CodeCell]) -> None:
        self.cells = cells
        self._by_id: dict[str, CodeCell] = {}
        self._by_source: dict[str, list[CodeCell]] = {}
        for cell in cells:
            if cell.cell_id:
                self._by_id[cell.cell_id] = cell
            self._by_source.setdefault(normalize_source(cell.source), []).append(cell)

    def __repr__(self) -> str:
        return f"NotebookIndex(cells={list(self.cells)!r})"

    @classmethod
    def from_notebook(cls, notebook: Mapping[str, Any]) -> NotebookIndex:
        """Index a notebook given as nbformat JSON (a dict)."""
        cells: list[CodeCell] = []
        for cell in notebook.get("cells") or ():
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source") or ""
            if isinstance(source, list):
                source = "".join(source)
            cells.append(CodeCell(index=len(cells), cell_id=cell.get("id"), source=source))
        return cls(cells)

    def match(self, source: str, cell_id: str | None = None, after: int | None = None) -> CodeCell | None:
        """The notebook cell that ran ``source``, or ``None``.

        Args:
            source: the executed source.
            cell_id: the id the front end sent, if any.
            after: index of the previously matched cell, to resolve duplicate sources.
        """
        if cell_id and cell_id in self._by_id:
            return self._by_id[cell_id]
        candidates = self._by_source.get(normalize_source(source))
        if not candidates:
            return None
        if after is not None:
            for cell in candidates:
                if cell.index > after:
                    return cell
        return candidates[0]
