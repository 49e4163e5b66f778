import type { IDiagnostic, PrebuildStateEvent } from '../protocol';

/**
 * The diagnostics a prebuild_state event puts on its cell, or null to leave
 * the cell's markers as they are. Only an event about the cell's current
 * text counts (an older generation describes text the user has changed
 * since). The Cython pass reports its warnings or errors (even none: then
 * the cell is clean); a failed or finished build reports more only when it
 * has some (the C compiler's); a cancelled one says nothing.
 */
export function liveDiagnostics(
  data: PrebuildStateEvent['data'],
  isCurrent: (cellId: string, generation: number) => boolean
): IDiagnostic[] | null {
  if (!isCurrent(data.cell_id, data.generation)) {
    return null;
  }
  switch (data.stage) {
    case 'cython':
      return data.diagnostics;
    case 'failed':
    case 'done':
      return data.diagnostics.length ? data.diagnostics : null;
    case 'cancelled':
      return null;
  }
}
