"""Stale and superseded cell executions in a session's timeline (pure; used by the history views).

A record is *superseded* when the same cell ran again later. A record that
is its cell's latest run is *stale* when a later execution rewrote a name it
read: its outputs no longer match the kernel's state.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["mark_stale"]


def mark_stale(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark each cell execution ``superseded`` or ``stale`` (pure; records in execution order).

    A record is *superseded* when the same cell ran again later. A record
    that is its cell's latest run is *stale* when a later execution
    rewrote a name it read: its outputs no longer match the kernel's state.
    """
    out = [dict(r) for r in records]
    for index, record in enumerate(out):
        later = out[index + 1:]
        key = record.get("cell_id")
        record["superseded"] = bool(key) and any(r.get("cell_id") == key for r in later)
        record["stale_reason"] = ""
        if record["superseded"]:
            continue
        read = set(record.get("names_read") or ())
        for other in later:
            rewritten = read & set(other.get("names_written") or ())
            if rewritten:
                number = other.get("execution_count")
                record["stale_reason"] = (f"reads {', '.join(sorted(rewritten))}, rewritten later by "
                                          f"[{number if number is not None else '?'}]")
                break
        record["stale"] = bool(record["stale_reason"])
    for record in out:
        record.setdefault("stale", False)
    return out
