import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { importCode } from './importCode';

/**
 * Insert a code cell with the import below the active cell and scroll it into view; returns its 1-based
 * position (for the announcement), or null when no cell was made.
 */
export function insertImportCell(
  panel: NotebookPanel,
  alias: string,
  team = false
): number | null {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell) {
    return null;
  }
  cell.model.sharedModel.setSource(importCode(alias, team));
  void notebook.scrollToItem(notebook.activeCellIndex, 'smart');
  return notebook.activeCellIndex + 1;
}
