import {
  diagnosticCount,
  lintGutter,
  setDiagnostics,
  setDiagnosticsEffect
} from '@codemirror/lint';
import { EditorState, Extension, StateEffect } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { IDiagnostic } from '../protocol';
import { toEditorDiagnostics } from './mapping';

/** Any edit of the cell clears its build markers (they describe old code). */
export const clearOnEdit = EditorState.transactionExtender.of(tr =>
  tr.docChanged && diagnosticCount(tr.startState) > 0
    ? { effects: setDiagnosticsEffect.of([]) }
    : null
);

/** The lint gutter and the clear-on-edit rule of a cell with build markers. */
export const diagnosticsExtension: Extension = [lintGutter(), clearOnEdit];

/** Show build diagnostics as CodeMirror lint markers (empty list clears). */
export function showDiagnostics(
  view: EditorView,
  diagnostics: IDiagnostic[]
): void {
  const spec = setDiagnostics(
    view.state,
    toEditorDiagnostics(diagnostics, view.state.doc)
  );
  const effects = spec.effects
    ? Array.isArray(spec.effects)
      ? (spec.effects as StateEffect<unknown>[])
      : [spec.effects as StateEffect<unknown>]
    : [];
  view.dispatch({ effects });
}
