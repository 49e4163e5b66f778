import type { Diagnostic } from '@codemirror/lint';
import type { Text } from '@codemirror/state';
import { IDiagnostic } from '../protocol';

const SEVERITY: { [k in IDiagnostic['severity']]: Diagnostic['severity'] } = {
  error: 'error',
  warning: 'warning',
  note: 'info'
};

/**
 * Map build diagnostics onto a cell's document. Only diagnostics about the
 * cell itself (file null, known line) get a marker; lines past the end are
 * clamped to the last line. Line 1 is the magic line.
 * A known column marks from that column to the end of the word (at least one
 * character); an unknown column marks the whole line.
 */
export function toEditorDiagnostics(
  diagnostics: IDiagnostic[],
  doc: Text
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.file !== null || d.line <= 0) {
      continue;
    }
    const line = doc.line(Math.min(d.line, doc.lines));
    let from = line.from;
    let to = line.to;
    if (d.column > 0) {
      from = Math.min(line.from + d.column - 1, line.to);
      const rest = line.text.slice(from - line.from);
      const word = /^[\w.]+/.exec(rest);
      to = from + (word ? word[0].length : Math.min(1, rest.length));
    }
    out.push({
      from,
      to,
      severity: SEVERITY[d.severity],
      message: d.message,
      source: `cython_pin (${d.source})`
    });
  }
  return out;
}
