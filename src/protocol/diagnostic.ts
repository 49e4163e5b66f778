/** The decoder of one Diagnostic (build results and prebuild_state events). */
import {
  Diagnostic,
  DIAGNOSTIC_SOURCES,
  SEVERITIES
} from '../_generated/protocol';
import { int, nullable, oneOf, rec, str } from './decode';

export function diagnostic(v: unknown, path: string): Diagnostic {
  const d = rec(v, path);
  return {
    line: int(d.line, `${path}.line`),
    column: int(d.column, `${path}.column`),
    severity: oneOf(d.severity, `${path}.severity`, SEVERITIES),
    message: str(d.message, `${path}.message`),
    source: oneOf(d.source, `${path}.source`, DIAGNOSTIC_SOURCES),
    file: nullable(str)(d.file, `${path}.file`)
  };
}
