/**
 * Jump from a run to the notebook cell that produced it, when that notebook
 * is open in JupyterLab.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import type { CellRecord } from './types';

/** True when `open` (a path relative to the server root) is the notebook the kernel reported. */
export function samePath(open: string, recorded: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/^\.?\//, '');
  const a = norm(open);
  const b = norm(recorded);
  return a === b || b.endsWith(`/${a}`) || a.endsWith(`/${b}`);
}

/**
 * Activate the notebook and select the cell. Resolves to a message for the user
 * when the jump is not possible (no recorded cell, notebook not open, cell gone).
 */
export async function jumpToCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker | null,
  cell: CellRecord | null | undefined
): Promise<string | null> {
  const path = cell ? cell.notebook_path || cell.notebook : null;
  if (!cell || !path) {
    return 'This run was not made by a recorded notebook cell.';
  }
  if (!tracker) {
    return 'The notebook plugin is not available.';
  }
  let panel: NotebookPanel | null = null;
  tracker.forEach(p => {
    if (!panel && samePath(p.context.path, path)) {
      panel = p;
    }
  });
  if (!panel) {
    return `Open ${path} to jump to the cell that made this run.`;
  }
  const found: NotebookPanel = panel;
  app.shell.activateById(found.id);
  const notebook = found.content;
  const cells = notebook.widgets;
  let index = cell.cell_id ? cells.findIndex(c => c.model.id === cell.cell_id) : -1;
  if (index < 0 && typeof cell.execution_count === 'number') {
    index = cells.findIndex(c => (c.model as any).executionCount === cell.execution_count);
  }
  if (index < 0) {
    return `The cell that made this run is no longer in ${path}.`;
  }
  notebook.activeCellIndex = index;
  notebook.mode = 'command';
  await notebook.scrollToItem(index, 'center');
  return null;
}
