/** Display formats shared by the result view and the pin panel. */

/** `c71820fcbdd3` from a 64-hex key. */
export function shortKey(key: string): string {
  return key.slice(0, 12);
}

export function formatBytes(n: number | null): string {
  if (n === null) {
    return '—';
  }
  if (n < 1024) {
    return `${n} B`;
  }
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatSeconds(s: number): string {
  if (s < 1) {
    return `${Math.round(s * 1000)} ms`;
  }
  return `${s.toFixed(2)} s`;
}

/** `2026-11-25 12:00 UTC` from an ISO string ending in Z. */
export function formatUtc(iso: string | null): string {
  if (!iso) {
    return '—';
  }
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** `3 s`, `5 min`, `2 h`, `3 days`: how long ago `iso` was, seen at `now` (ms since the epoch). */
export function formatAgo(iso: string, now: number): string {
  const then = Date.parse(iso);
  const s = Number.isNaN(then) ? 0 : Math.max(0, (now - then) / 1000);
  if (s < 60) {
    return `${Math.floor(s)} s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)} min`;
  }
  if (s < 48 * 3600) {
    return `${Math.floor(s / 3600)} h`;
  }
  return `${Math.floor(s / 86400)} days`;
}
