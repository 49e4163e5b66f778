import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

/**
 * The code inserted by "Insert import": binds the build's public names, exactly what the panel's Import
 * does in the kernel, so `square(12)` works after either (even when the alias is also a function's name).
 */
export function importCode(alias: string): string {
  return `from cython_pin import import_pinned\nimport_pinned(${JSON.stringify(alias)}, into=globals())`;
}

/**
 * Insert a code cell with the import below the active cell and scroll it into view; returns its 1-based
 * position (for the announcement), or null when no cell was made.
 */
export function insertImportCell(
  panel: NotebookPanel,
  alias: string
): number | null {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (!cell) {
    return null;
  }
  cell.model.sharedModel.setSource(importCode(alias));
  void notebook.scrollToItem(notebook.activeCellIndex, 'smart');
  return notebook.activeCellIndex + 1;
}
