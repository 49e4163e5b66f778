import { h } from '../dom';
import type { BuildPhase } from '../compile/buildState';
import { IMagicLine } from './parser';

export const CYTHON_MIME = 'text/x-cython';

const PHASE_TEXT: { [p in BuildPhase]: string } = {
  none: 'not built',
  building: 'building…',
  ok: 'built',
  error: 'failed'
};

/** Text of the small marker on a magic cell: `%%cython_pin · alias · built`. */
export function markerText(magic: IMagicLine, phase: BuildPhase): string {
  const parts = [`%%${magic.magic}`];
  if (magic.alias) {
    parts.push(magic.alias);
  }
  parts.push(PHASE_TEXT[phase]);
  return parts.join(' · ');
}

/** Create/update/remove the marker element inside `host` (the input area). */
export function updateMarker(
  host: HTMLElement,
  magic: IMagicLine | null,
  phase: BuildPhase
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
  el.textContent = markerText(magic, phase);
  el.title = magic.alias
    ? `Cython cell, pinned as "${magic.alias}"; last build: ${PHASE_TEXT[phase]}`
    : `Cython cell; last build: ${PHASE_TEXT[phase]}`;
}
