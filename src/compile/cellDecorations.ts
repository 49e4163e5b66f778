import { CodeCell } from '@jupyterlab/cells';
import { TranslationBundle } from '@jupyterlab/translation';
import { DIAGNOSTICS_OPTION } from '../diagnostics/editorExtension';
import { showDiagnostics } from '../diagnostics/markers';
import { parseMagicLine } from '../magic/parser';
import { editorViewOf } from '../notebook/cells';
import type { BuildStateTracker, ICellBuildState } from './buildState';
import { updateMarker } from './cellMarker';
import { applyCythonMime } from './highlighting';

/**
 * Keeps every code cell's decorations in step with its source and its last
 * build: Cython highlighting, the marker, and the editor's lint markers.
 */
export function decorateCells(
  builds: BuildStateTracker,
  trans: TranslationBundle
): void {
  const refreshMarker = (cell: CodeCell, state: ICellBuildState) => {
    const magic = parseMagicLine(cell.model.sharedModel.getSource());
    if (cell.inputArea) {
      updateMarker(cell.inputArea.node, magic, state.phase, trans);
    }
  };

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
      const view = editorViewOf(cell);
      if (!view || state.phase === 'building') {
        return;
      }
      const diagnostics = state.result?.diagnostics ?? [];
      // Never dispatch from inside another editor update.
      setTimeout(() => {
        if (cell.isDisposed) {
          return;
        }
        if (diagnostics.length) {
          cell.editor?.setOption(DIAGNOSTICS_OPTION, true);
        }
        showDiagnostics(view, diagnostics);
      }, 0);
    });
  });
}
