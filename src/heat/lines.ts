import type { IAnnotation, IAnnotationLine } from '../protocol';

/**
 * Whether an annotation describes this cell text: every annotated line
 * (cell line numbers, the magic line is 1) holds the text Cython saw, and
 * nothing but blank lines follows the last one.
 */
export function annotationMatches(
  annotation: IAnnotation,
  cellText: string
): boolean {
  if (!annotation.lines.length) {
    return false;
  }
  const lines = cellText.split('\n');
  const trimmed = (s: string) => s.replace(/\s+$/, '');
  const same = annotation.lines.every(
    l =>
      lines[l.line - 1] !== undefined &&
      trimmed(lines[l.line - 1]) === trimmed(l.source)
  );
  const last = Math.max(...annotation.lines.map(l => l.line));
  return same && lines.slice(last).every(l => !l.trim());
}

/** The annotated line at a cell line number, if any. */
export function annotatedLine(
  annotation: IAnnotation,
  line: number
): IAnnotationLine | null {
  return annotation.lines.find(l => l.line === line) ?? null;
}

/**
 * The shade of a line with this score, as report/annotation.py shades the
 * HTML view: an opaque yellow from pale (a touch of Python) to deep (much),
 * on which dark text reads in light and dark themes; null for pure C.
 */
export function heatShade(score: number, maxScore: number): string | null {
  if (score <= 0) {
    return null;
  }
  const lightness =
    88 - Math.round(30 * Math.min(1, score / Math.max(1, maxScore)));
  return `hsl(50, 100%, ${lightness}%)`;
}

/** The dark text colour used on a shade (WCAG AA on the deepest one). */
export const TEXT_ON_SHADE = '#1f1f1f';
