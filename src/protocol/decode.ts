/**
 * Decoder building blocks. A decoder never throws to its caller: `run` turns
 * the first mismatch into `{ ok: false, error: "<path>: expected <what>" }`.
 */

/** JSON object as seen by the decoders. */
export type JSONRecord = { [key: string]: unknown };

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Reads one value found at `path`, or throws a DecodeError naming the path. */
export type Reader<T> = (v: unknown, path: string) => T;

class DecodeError extends Error {}

export function fail(path: string, expected: string): never {
  throw new DecodeError(`${path}: expected ${expected}`);
}

export function isRecord(value: unknown): value is JSONRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function rec(v: unknown, path: string): JSONRecord {
  return isRecord(v) ? v : fail(path, 'an object');
}
export function str(v: unknown, path: string): string {
  return typeof v === 'string' ? v : fail(path, 'a string');
}
export function nonEmpty(v: unknown, path: string): string {
  const s = str(v, path);
  return s.length > 0 ? s : fail(path, 'a non-empty string');
}
export function num(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v)
    ? v
    : fail(path, 'a number');
}
export function int(v: unknown, path: string): number {
  return Number.isInteger(v) ? (v as number) : fail(path, 'an integer');
}
export function bool(v: unknown, path: string): boolean {
  return typeof v === 'boolean' ? v : fail(path, 'a boolean');
}
export function nullable<T>(f: Reader<T>): Reader<T | null> {
  return (v, path) => (v === null ? null : f(v, path));
}
/** Absent (undefined) or null or T. */
export function optionalNullable<T>(
  f: Reader<T>
): Reader<T | null | undefined> {
  return (v, path) => (v === undefined || v === null ? v : f(v, path));
}
export function arr<T>(v: unknown, path: string, f: Reader<T>): T[] {
  if (!Array.isArray(v)) {
    fail(path, 'an array');
  }
  return (v as unknown[]).map((item, i) => f(item, `${path}[${i}]`));
}
export function oneOf<T extends string | number | boolean>(
  v: unknown,
  path: string,
  values: readonly T[]
): T {
  return (values as readonly unknown[]).includes(v)
    ? (v as T)
    : fail(path, `one of ${values.join(', ')}`);
}

/**
 * A list row the frontend could not read: the list shows it as such and the rest of the list still shows
 * (one unexpected row never hides the others).
 */
export interface IUnreadableRow {
  unreadable: true;
  /** The row's key and alias, where they are readable, to say which row it is. */
  key: string | null;
  alias: string | null;
  /** Why: "<path>: expected …". */
  error: string;
}

/** A row of a list the frontend decodes row by row. */
export type Row<T> = T | IUnreadableRow;

export function isUnreadable<T extends object>(
  row: Row<T>
): row is IUnreadableRow {
  return 'unreadable' in row;
}

/** An array whose items are decoded one by one: an item `f` rejects becomes an IUnreadableRow. */
export function rows<T extends object>(
  v: unknown,
  path: string,
  f: Reader<T>
): Row<T>[] {
  if (!Array.isArray(v)) {
    fail(path, 'an array');
  }
  return (v as unknown[]).map((item, i) => {
    const decoded = run(() => f(item, `${path}[${i}]`));
    if (decoded.ok) {
      return decoded.value;
    }
    const text = (name: string): string | null =>
      isRecord(item) && typeof item[name] === 'string'
        ? (item[name] as string)
        : null;
    return {
      unreadable: true,
      key: text('key'),
      alias: text('alias'),
      error: decoded.error
    };
  });
}

export function run<T>(f: () => T): Decoded<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof DecodeError) {
      return { ok: false, error: e.message };
    }
    throw e;
  }
}
