import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';

/** A Python identifier derived from an alias (for generated import code). */
export function identifierFor(alias: string): string {
  const id = alias.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`;
}

/** The code inserted by "Insert import". */
export function importCode(alias: string): string {
  return `from cython_pin import import_pinned\n${identifierFor(alias)} = import_pinned(${JSON.stringify(alias)})`;
}

/** Insert a code cell with `import_pinned(alias)` below the active cell. */
export function insertImportCell(panel: NotebookPanel, alias: string): void {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  const cell = notebook.activeCell;
  if (cell) {
    cell.model.sharedModel.setSource(importCode(alias));
  }
}
