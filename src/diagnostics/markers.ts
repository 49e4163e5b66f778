import {
  diagnosticCount,
  lintGutter,
  setDiagnostics,
  setDiagnosticsEffect
} from '@codemirror/lint';
import { EditorState, StateEffect } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { IDiagnostic } from '../protocol';
import { toEditorDiagnostics } from './mapping';

const withGutter = new WeakSet<EditorView>();

/** Any edit of the cell clears its build markers (they describe old code). */
export const clearOnEdit = EditorState.transactionExtender.of(tr =>
  tr.docChanged && diagnosticCount(tr.startState) > 0
    ? { effects: setDiagnosticsEffect.of([]) }
    : null
);

/** Show build diagnostics as CodeMirror lint markers (empty list clears). */
export function showDiagnostics(
  view: EditorView,
  diagnostics: IDiagnostic[]
): void {
  const effects: StateEffect<unknown>[] = [];
  if (!withGutter.has(view) && diagnostics.length) {
    withGutter.add(view);
    effects.push(StateEffect.appendConfig.of([lintGutter(), clearOnEdit]));
  }
  const spec = setDiagnostics(
    view.state,
    toEditorDiagnostics(diagnostics, view.state.doc)
  );
  const specEffects = spec.effects
    ? Array.isArray(spec.effects)
      ? (spec.effects as StateEffect<unknown>[])
      : [spec.effects as StateEffect<unknown>]
    : [];
  view.dispatch({ effects: [...effects, ...specEffects] });
}

export function clearDiagnostics(view: EditorView): void {
  showDiagnostics(view, []);
}
