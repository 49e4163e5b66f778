import { ITimings, TIMING_KEYS, TimingKey } from '../protocol';

/** A phase shorter than this reads as "0 ms": it is left out (the helper's text summary does the same). */
export const SHOWN_TIMING_S = 0.0005;

export type TimingPart = Exclude<TimingKey, 'total'> | 'other';

/**
 * The phases a result shows: those that took time, in the contract's order,
 * then "other" for what they do not account for, so the parts add up to the
 * total (a helper that does not time a phase sends none: it is "other").
 */
export function timingParts(t: ITimings): [TimingPart, number][] {
  const phases = TIMING_KEYS.filter(
    (k): k is Exclude<TimingKey, 'total'> => k !== 'total'
  ).map(k => [k, t[k] ?? 0] as [TimingPart, number]);
  const parts = phases.filter(([, s]) => s >= SHOWN_TIMING_S);
  const other = t.total - phases.reduce((sum, [, s]) => sum + s, 0);
  if (other >= SHOWN_TIMING_S) {
    parts.push(['other', other]);
  }
  return parts;
}
