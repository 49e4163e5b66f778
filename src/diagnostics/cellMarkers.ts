import type { CodeCell } from '@jupyterlab/cells';
import { drawInCell } from '../notebook/cells';
import { IDiagnostic } from '../protocol';
import { DIAGNOSTICS_OPTION } from './editorExtension';
import { showDiagnostics } from './markers';

/**
 * Show diagnostics as lint markers in a cell's editor (an empty list clears
 * them). Turns the gutter (and its clear-on-edit rule) on for the cell first.
 * `stillValid` is asked again just before they are drawn.
 */
export function showCellDiagnostics(
  cell: CodeCell,
  diagnostics: IDiagnostic[],
  stillValid: () => boolean = () => true
): void {
  drawInCell(cell, stillValid, view => {
    if (diagnostics.length) {
      cell.editor?.setOption(DIAGNOSTICS_OPTION, true);
    }
    showDiagnostics(view, diagnostics);
  });
}
