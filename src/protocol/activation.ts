/**
 * Activation by a silent execute (docs/protocol.md): the two user expressions
 * the extension evaluates, and the pip line shown when the helper is missing.
 */

export const ACTIVATION_EXPRESSIONS = {
  python: "__import__('sys').executable",
  activate: "__import__('cython_pin.kernel', fromlist=['activate']).activate()"
} as const;

/** The pip line shown when the helper is missing in a kernel. */
export function pipInstallLine(pythonRepr: string): string {
  const python = pythonRepr.replace(/^['"]|['"]$/g, '');
  return `"${python}" -m pip install cython-pin`;
}
