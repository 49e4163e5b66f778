import { TranslationBundle } from '@jupyterlab/translation';
import { IAnnotation } from '../protocol';
import { NULL_TRANS } from '../translation';
import { h } from '../ui/dom';

/** The faintest shade of a line that talks to Python at all: visibly not pure C. */
export const MIN_LEVEL = 0.3;

/**
 * 0..1 shade for a score: 0 = pure C; any Python interaction at least MIN_LEVEL, then logarithmic up to 1
 * for the worst line in this cell, so a line scoring 8 beside a `def` scoring 54 still stands out.
 */
export function scoreLevel(score: number, maxScore: number): number {
  if (maxScore <= 0 || score <= 0) {
    return 0;
  }
  const t = Math.log1p(Math.min(score, maxScore)) / Math.log1p(maxScore);
  return MIN_LEVEL + (1 - MIN_LEVEL) * t;
}

/**
 * Static, script-free annotation: one <details> per source line, shaded by
 * its Python-interaction score; opening it shows the generated C.
 */
export function renderAnnotation(
  annotation: IAnnotation,
  open: boolean,
  trans: TranslationBundle = NULL_TRANS
): HTMLElement {
  const rows = annotation.lines.map(l => {
    const level = scoreLevel(l.score, annotation.max_score);
    const row = h(
      'details',
      {
        class: 'jp-CythonPin-annotLine',
        'data-line': String(l.line),
        'data-score': String(l.score),
        title: trans.__(
          'Line %1: Python interaction score %2 (max %3). Click to show the generated C.',
          l.line,
          l.score,
          annotation.max_score
        )
      },
      h(
        'summary',
        { class: 'jp-CythonPin-annotSource' },
        h('span', { class: 'jp-CythonPin-annotLineNo' }, String(l.line)),
        h('code', {}, l.source || ' ')
      ),
      h(
        'pre',
        { class: 'jp-CythonPin-cCode' },
        l.c_code || trans.__('/* no C code */')
      )
    );
    row.style.setProperty('--jp-CythonPin-score', level.toFixed(3));
    if (!l.c_code) {
      row.classList.add('jp-mod-empty');
    }
    return row;
  });
  const body = h(
    'details',
    { class: 'jp-CythonPin-annotation' },
    h(
      'summary',
      { class: 'jp-CythonPin-annotationTitle' },
      trans.__(
        'Annotation: %1 lines, stronger shade = more Python interaction, unshaded = pure C (click a line for its C)',
        annotation.lines.length
      )
    ),
    ...rows,
    ...(annotation.full_c
      ? [
          h(
            'details',
            { class: 'jp-CythonPin-annotFullC' },
            h(
              'summary',
              { class: 'jp-CythonPin-annotationTitle' },
              trans.__('Complete cythonized code')
            ),
            h('pre', { class: 'jp-CythonPin-cCode' }, annotation.full_c)
          )
        ]
      : [])
  );
  if (open) {
    body.setAttribute('open', '');
  }
  return body;
}
