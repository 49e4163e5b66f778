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
