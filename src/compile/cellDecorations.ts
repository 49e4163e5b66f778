import { CodeCell } from '@jupyterlab/cells';
import { TranslationBundle } from '@jupyterlab/translation';
import { showCellDiagnostics } from '../diagnostics/cellMarkers';
import { parseMagicLine } from '../magic/parser';
import type { IBuildStateTracker, ICellBuildState } from '../tokens';
import { updateMarker } from './cellMarker';
import { applyCythonMime } from './highlighting';
import type { BuildProgress } from './progress';

/**
 * Keeps every code cell's decorations in step with its source and its last
 * build: Cython highlighting, the marker, and the editor's lint markers.
 */
export function decorateCells(
  builds: IBuildStateTracker,
  progress: BuildProgress<CodeCell>,
  trans: TranslationBundle
): void {
  const refreshMarker = (cell: CodeCell, state: ICellBuildState) => {
    const magic = parseMagicLine(cell.model.sharedModel.getSource());
    const p = progress.get(cell);
    if (cell.inputArea) {
      updateMarker(
        cell.inputArea.node,
        magic,
        state.phase,
        trans,
        p ? { ...p, elapsed: progress.elapsed(cell) } : null
      );
    }
  };

  progress.changed.connect((_, cell) => {
    if (!cell.isDisposed) {
      refreshMarker(cell, builds.state(cell));
    }
  });

  const watchedMime = new WeakSet<CodeCell>();
  builds.sourceChanged.connect((_, { panel, cell }) => {
    const apply = () => {
      applyCythonMime(panel, cell);
      void cell.ready.then(() => {
        if (!cell.isDisposed) {
          refreshMarker(cell, builds.state(cell));
        }
      });
    };
    apply();
    if (!watchedMime.has(cell)) {
      watchedMime.add(cell);
      cell.model.mimeTypeChanged.connect(apply);
    }
    // Edits clear the lint markers inside CodeMirror (clearOnEdit).
  });

  builds.stateChanged.connect((_, { cell, state }) => {
    void cell.ready.then(() => {
      if (cell.isDisposed) {
        return;
      }
      refreshMarker(cell, state);
      // While building, the run's markers are to come; built ahead, the live diagnostics stand.
      if (state.phase !== 'building' && state.phase !== 'ahead') {
        showCellDiagnostics(cell, state.result?.diagnostics ?? []);
      }
    });
  });
}
