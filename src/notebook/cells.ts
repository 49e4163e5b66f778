import { CodeCell } from '@jupyterlab/cells';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { EditorView } from '@codemirror/view';

/** The notebook whose DOM holds `node`, else the current notebook. */
export function notebookFor(
  tracker: INotebookTracker,
  node: HTMLElement | null
): NotebookPanel | null {
  if (node) {
    const owner = tracker.find(panel => panel.node.contains(node));
    if (owner) {
      return owner;
    }
  }
  return tracker.currentWidget;
}

/** The code cell whose DOM holds `node`. */
export function cellFor(
  panel: NotebookPanel,
  node: HTMLElement
): CodeCell | null {
  for (const cell of panel.content.widgets) {
    if (cell instanceof CodeCell && cell.node.contains(node)) {
      return cell;
    }
  }
  return null;
}

/** The CodeMirror 6 view of a cell (null before the cell is rendered). */
export function editorViewOf(cell: CodeCell): EditorView | null {
  const editor = cell.editor;
  return editor instanceof CodeMirrorEditor ? editor.editor : null;
}

/**
 * Draw into a cell's editor once the current editor update is over (a
 * dispatch from inside another update throws), if the cell is still there
 * and `stillValid()` still holds then.
 */
export function drawInCell(
  cell: CodeCell,
  stillValid: () => boolean,
  draw: (view: EditorView) => void
): void {
  const view = editorViewOf(cell);
  if (!view) {
    return;
  }
  setTimeout(() => {
    if (!cell.isDisposed && stillValid()) {
      draw(view);
    }
  }, 0);
}

/** Put the cursor on a 1-based line/column of a cell and focus it. */
export function revealInCell(
  panel: NotebookPanel,
  cell: CodeCell,
  line: number,
  column: number
): void {
  const index = panel.content.widgets.indexOf(cell);
  if (index >= 0) {
    panel.content.activeCellIndex = index;
  }
  panel.content.mode = 'edit';
  void cell.ready.then(() => {
    const editor = cell.editor;
    if (!editor) {
      return;
    }
    const lines = editor.model.sharedModel.getSource().split('\n');
    const l = Math.min(Math.max(line - 1, 0), lines.length - 1);
    const c = Math.min(Math.max(column - 1, 0), lines[l].length);
    editor.setCursorPosition({ line: l, column: c });
    editor.focus();
    editor.revealPosition({ line: l, column: c });
  });
}
