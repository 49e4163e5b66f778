import { hasCodeToCompile, parseMagicLine } from '../magic/parser';

/**
 * The text to build ahead for a cell, or null when the cell is not one to
 * build ahead: a `%%cython_pin` cell with code, or a `%%cython` cell when
 * such cells run through cython_pin (the takeover setting is on, or the cell
 * already shows a cython_pin build). A cell that the Compile button built
 * has its magic line already.
 */
export function aheadSource(
  source: string,
  cythonRunsThroughPin: boolean
): string | null {
  const magic = parseMagicLine(source);
  if (!magic || !hasCodeToCompile(source)) {
    return null;
  }
  return magic.magic === 'cython_pin' || cythonRunsThroughPin ? source : null;
}
