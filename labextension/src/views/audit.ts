/** How one registry audit row reads in the panel. */
import type { ModelHistoryEntry } from '../types';

/** `from -> to` for alias moves, else the version the event is about. */
export function auditChange(e: ModelHistoryEntry): string {
  const before = e.from ?? e.previous_version;
  const after = e.to ?? e.version;
  if (before !== null && before !== undefined && before !== '') {
    return `${before} → ${after ?? ''}`;
  }
  return after === null || after === undefined ? '' : String(after);
}
