/**
 * Whether a cell's run ended without running: the kernel aborted the queued request (an interrupt while
 * another cell ran). An aborted reply carries no exception name; an interrupt of the running build does
 * (KeyboardInterrupt), as does any failure.
 */
export function wasCancelled(success: boolean, error: unknown): boolean {
  if (success) {
    return false;
  }
  const name = (error as { errorName?: unknown } | null | undefined)?.errorName;
  return error !== undefined && error !== null && name === undefined;
}
