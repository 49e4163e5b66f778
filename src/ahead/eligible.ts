import { hasCodeToCompile, parseMagicLine } from '../magic/parser';

/**
 * The text to build ahead for a cell, or null when the cell is not one to
 * build ahead: a `%%cython_pin` cell with code, or a `%%cython` cell that has
 * already been built through cython_pin (the takeover is on in its kernel).
 * A cell that the Compile button built has its magic line already.
 */
export function aheadSource(source: string, hasBuild: boolean): string | null {
  const magic = parseMagicLine(source);
  if (!magic || !hasCodeToCompile(source)) {
    return null;
  }
  return magic.magic === 'cython_pin' || hasBuild ? source : null;
}
