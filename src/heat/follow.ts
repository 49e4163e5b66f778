import type { IBuildStateTracker } from '../tokens';
import { showCellHeat } from './cellHeat';

/**
 * An annotated build's result (a Compile with -a, or a saved output when
 * the notebook opens) shades its cell when the cell's text is the one built.
 */
export function followAnnotatedBuilds(builds: IBuildStateTracker): void {
  builds.stateChanged.connect((_, { cell, state }) => {
    const annotation = state.result?.annotation;
    if (state.phase !== 'ok' || !annotation) {
      return;
    }
    void cell.ready.then(() => {
      if (!cell.isDisposed) {
        showCellHeat(cell, annotation);
      }
    });
  });
}
