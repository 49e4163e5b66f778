import type { CodeCell } from '@jupyterlab/cells';
import { drawInCell } from '../notebook/cells';
import type { IAnnotation } from '../protocol';
import { HEAT_OPTION } from './editorExtension';
import { setHeat } from './gutter';
import { annotationMatches } from './lines';

/**
 * Shade a cell's lines by an annotation of its current text (turning its
 * heat gutter on first). An annotation of other text (the cell was edited
 * since) is ignored. `stillValid` is asked again just before it is drawn.
 */
export function showCellHeat(
  cell: CodeCell,
  annotation: IAnnotation,
  stillValid: () => boolean = () => true
): void {
  drawInCell(cell, stillValid, view => {
    const source = view.state.doc.toString();
    if (!annotationMatches(annotation, source)) {
      return;
    }
    cell.editor?.setOption(HEAT_OPTION, true);
    view.dispatch({ effects: setHeat.of({ source, annotation }) });
  });
}
