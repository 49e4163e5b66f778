import { CodeCell } from '@jupyterlab/cells';
import type { EditorView } from '@codemirror/view';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { editorViewOf } from '../notebook/cells';
import { CommandIDs } from '../tokens';
import { hasHeat, showCursorLineC } from './gutter';

/** The editor of the active code cell of the current notebook, if any. */
export function activeCellView(tracker: INotebookTracker): EditorView | null {
  const cell = tracker.activeCell;
  return cell instanceof CodeCell ? editorViewOf(cell) : null;
}

/**
 * "Show C for this line": the C Cython generated for the cursor's line of
 * the active cell and its score, from the annotation of the cell's text
 * (enabled when the cell's text has one).
 */
export function addShowLineCCommand(
  commands: CommandRegistry,
  activeView: () => EditorView | null,
  trans: TranslationBundle
): void {
  commands.addCommand(CommandIDs.showLineC, {
    label: trans.__('Show C for this line'),
    caption: trans.__(
      "The C code Cython generated for the cursor's line, and its score (needs an annotation of the cell's current text)"
    ),
    isEnabled: () => {
      const view = activeView();
      return !!view && hasHeat(view.state);
    },
    execute: () => {
      const view = activeView();
      return view ? showCursorLineC(view) : false;
    }
  });
}
