import { TranslationBundle } from '@jupyterlab/translation';
import type { IMagicLine } from '../magic/parser';
import type { BuildStage } from '../protocol';
import { NULL_TRANS } from '../translation';
import { h } from '../ui/dom';
import type { BuildPhase } from './buildState';

/** A run in progress, as the marker shows it. */
export interface IMarkerProgress {
  queued: boolean;
  stage: BuildStage | null;
  /** Seconds since the kernel started the cell. */
  elapsed: number;
}

/** Builds shorter than this show a plain "building…": no stage flickers by. */
export const PROGRESS_AFTER_S = 1;

function phaseText(phase: BuildPhase, trans: TranslationBundle): string {
  switch (phase) {
    case 'none':
      return trans.__('not built');
    case 'building':
      return trans.__('building…');
    case 'ahead':
      return trans.__('built ahead');
    case 'ok':
      return trans.__('built');
    case 'error':
      return trans.__('failed');
  }
}

function stageText(stage: BuildStage | null, trans: TranslationBundle): string {
  switch (stage) {
    case 'waiting':
      return trans.__('waiting for another build of this source');
    case 'cython':
      return trans.__('building · Cython');
    case 'compile':
      return trans.__('building · C compiler');
    case 'link':
      return trans.__('building · linking');
    case null:
      return trans.__('building');
  }
}

/**
 * What the marker says of a run: "queued" while the kernel runs another
 * cell; after a second, the stage and the seconds so far; else the phase.
 */
export function progressText(
  phase: BuildPhase,
  progress: IMarkerProgress | null,
  trans: TranslationBundle = NULL_TRANS
): string {
  if (phase !== 'building' || !progress) {
    return phaseText(phase, trans);
  }
  if (progress.queued) {
    return trans.__('queued');
  }
  if (progress.elapsed < PROGRESS_AFTER_S) {
    return phaseText(phase, trans);
  }
  return trans.__(
    '%1 · %2 s',
    stageText(progress.stage, trans),
    Math.floor(progress.elapsed)
  );
}

/** Text of the small marker on a magic cell: `%%cython_pin · alias · built`. */
export function markerText(
  magic: IMagicLine,
  phase: BuildPhase,
  trans: TranslationBundle = NULL_TRANS,
  progress: IMarkerProgress | null = null
): string {
  const parts = [`%%${magic.magic}`];
  if (magic.alias) {
    parts.push(magic.alias);
  }
  parts.push(progressText(phase, progress, trans));
  return parts.join(' · ');
}

/** Create/update/remove the marker element inside `host` (the input area). */
export function updateMarker(
  host: HTMLElement,
  magic: IMagicLine | null,
  phase: BuildPhase,
  trans: TranslationBundle = NULL_TRANS,
  progress: IMarkerProgress | null = null
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
  const running = phase === 'building' && progress !== null;
  el.dataset.phase = phase;
  if (running && progress.queued) {
    el.dataset.queued = 'true';
  } else {
    delete el.dataset.queued;
  }
  if (running && !progress.queued && progress.stage) {
    el.dataset.stage = progress.stage;
  } else {
    delete el.dataset.stage;
  }
  el.textContent = markerText(magic, phase, trans, progress);
  const state = progressText(phase, progress, trans);
  el.title = magic.alias
    ? trans.__(
        'Cython cell, pinned as "%1"; last build: %2',
        magic.alias,
        state
      )
    : trans.__('Cython cell; last build: %1', state);
}
