import { CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { parseMagicLine } from '../magic/parser';

export const CYTHON_MIME = 'text/x-cython';

/**
 * Cython highlighting for magic cells: their mime type follows the first
 * line (back to the notebook's language when the magic line goes away).
 */
export function applyCythonMime(panel: NotebookPanel, cell: CodeCell): void {
  const magic = parseMagicLine(cell.model.sharedModel.getSource());
  const model = cell.model;
  if (magic && model.mimeType !== CYTHON_MIME) {
    model.mimeType = CYTHON_MIME;
  } else if (!magic && model.mimeType === CYTHON_MIME) {
    model.mimeType = panel.content.codeMimetype;
  }
}
