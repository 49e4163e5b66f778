import { TranslationBundle } from '@jupyterlab/translation';
import type { IMagicLine } from '../magic/parser';
import { NULL_TRANS } from '../translation';
import { h } from '../ui/dom';
import type { BuildPhase } from './buildState';

function phaseText(phase: BuildPhase, trans: TranslationBundle): string {
  switch (phase) {
    case 'none':
      return trans.__('not built');
    case 'building':
      return trans.__('building…');
    case 'ok':
      return trans.__('built');
    case 'error':
      return trans.__('failed');
  }
}

/** Text of the small marker on a magic cell: `%%cython_pin · alias · built`. */
export function markerText(
  magic: IMagicLine,
  phase: BuildPhase,
  trans: TranslationBundle = NULL_TRANS
): string {
  const parts = [`%%${magic.magic}`];
  if (magic.alias) {
    parts.push(magic.alias);
  }
  parts.push(phaseText(phase, trans));
  return parts.join(' · ');
}

/** Create/update/remove the marker element inside `host` (the input area). */
export function updateMarker(
  host: HTMLElement,
  magic: IMagicLine | null,
  phase: BuildPhase,
  trans: TranslationBundle = NULL_TRANS
): void {
  let el = host.querySelector<HTMLElement>(':scope > .jp-CythonPin-cellMarker');
  if (!magic) {
    el?.remove();
    return;
  }
  if (!el) {
    el = h('div', { class: 'jp-CythonPin-cellMarker' });
    host.appendChild(el);
  }
  el.dataset.phase = phase;
  el.textContent = markerText(magic, phase, trans);
  el.title = magic.alias
    ? trans.__(
        'Cython cell, pinned as "%1"; last build: %2',
        magic.alias,
        phaseText(phase, trans)
      )
    : trans.__('Cython cell; last build: %1', phaseText(phase, trans));
}
