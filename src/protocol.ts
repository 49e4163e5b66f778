/**
 * The cython_pin protocol, version 1 (see docs/protocol.md).
 *
 * Types plus runtime decoders for every message that crosses the comm and for
 * the build-result MIME bundle. Decoders never throw: they return either
 * `{ ok: true, value }` or `{ ok: false, error }` with a readable reason.
 */

export const PROTOCOL_VERSION = 1;
export const COMM_TARGET = 'cython_pin';
export const BUILD_MIME_TYPE = 'application/vnd.cython-pin.build+json';

/** JSON object as seen by the decoders. */
export type JSONRecord = { [key: string]: unknown };

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/* ------------------------------------------------------------------------ */
/* Operations                                                                */
/* ------------------------------------------------------------------------ */

export interface IPinRow {
  alias: string;
  key: string;
  module_name: string | null;
  size_bytes: number | null;
  created_utc: string | null;
  in_cache: boolean;
}

export interface ICacheRow {
  key: string;
  module_name: string;
  size_bytes: number;
  created_utc: string;
  profile: string;
  aliases: string[];
}

export interface IGcArgs {
  max_bytes?: number | null;
  max_age_days?: number | null;
  keep_n_newest?: number | null;
  dry_run: boolean;
}

/** Arguments per operation. */
export interface IOpArgs {
  hello: Record<string, never>;
  list_pins: Record<string, never>;
  pin: { key: string; alias: string; overwrite?: boolean };
  unpin: { alias: string };
  rename_pin: { old: string; new: string };
  list_cached: Record<string, never>;
  cache_stats: Record<string, never>;
  gc_cache: IGcArgs;
  import_pinned: { alias: string };
}

/** Results per operation. */
export interface IOpResults {
  hello: {
    protocol_version: number;
    helper_version: string;
    cache_dir: string;
    python_executable: string;
    cython_version: string | null;
  };
  list_pins: { cache_dir: string; pins: IPinRow[] };
  pin: { alias: string; key: string };
  unpin: { alias: string; removed: boolean };
  rename_pin: { alias: string; key: string };
  list_cached: { cache_dir: string; entries: ICacheRow[] };
  cache_stats: {
    cache_dir: string;
    entries: number;
    total_bytes: number;
    pins: number;
  };
  gc_cache: {
    dry_run: boolean;
    removed: ICacheRow[];
    freed_bytes: number;
    kept: number;
  };
  import_pinned: {
    alias: string;
    key: string;
    module_name: string;
    names: string[];
  };
}

export type Op = keyof IOpArgs;

export const OPS: readonly Op[] = [
  'hello',
  'list_pins',
  'pin',
  'unpin',
  'rename_pin',
  'list_cached',
  'cache_stats',
  'gc_cache',
  'import_pinned'
];

export interface IRequest<K extends Op = Op> {
  type: 'request';
  id: string;
  op: K;
  args: IOpArgs[K];
}

export interface IErrorInfo {
  type: string;
  message: string;
}

export type Reply =
  | { type: 'reply'; id: string; ok: true; result: JSONRecord }
  | { type: 'reply'; id: string; ok: false; error: IErrorInfo };

export type PinsChangedEvent = {
  type: 'event';
  event: 'pins_changed';
  data: { cache_dir: string; pins: { [alias: string]: string } };
};

export type CacheChangedEvent = {
  type: 'event';
  event: 'cache_changed';
  data: { cache_dir: string };
};

export type ProtocolEvent = PinsChangedEvent | CacheChangedEvent;

/** Anything the kernel may send on the comm. */
export type IncomingMessage = Reply | ProtocolEvent;

/* ------------------------------------------------------------------------ */
/* Build results                                                             */
/* ------------------------------------------------------------------------ */

export type Profile = 'fast-debug' | 'release' | 'annotate';
export const PROFILES: readonly Profile[] = [
  'fast-debug',
  'release',
  'annotate'
];

export type Severity = 'error' | 'warning' | 'note';
export type DiagnosticSource = 'cython' | 'compiler' | 'linker' | 'helper';

export interface IDiagnostic {
  /** 1-based line in the cell (the magic line is 1); 0 = unknown. */
  line: number;
  /** 1-based column; 0 = unknown. */
  column: number;
  severity: Severity;
  message: string;
  source: DiagnosticSource;
  /** null = the cell itself. */
  file: string | null;
}

export interface IAnnotationLine {
  line: number;
  score: number;
  source: string;
  c_code: string;
}

export interface IAnnotation {
  lines: IAnnotationLine[];
  max_score: number;
}

export interface ITimings {
  hash: number;
  cythonize: number;
  compile: number;
  load: number;
  total: number;
}

export interface IBuildResult {
  version: 1;
  status: 'ok' | 'error';
  key: string | null;
  module_name: string | null;
  artifact_path: string | null;
  cache_dir: string;
  used_cache: boolean;
  reused_module: boolean;
  created_utc: string | null;
  profile: Profile;
  timings: ITimings;
  diagnostics: IDiagnostic[];
  aliases: string[];
  names: string[];
  annotation: IAnnotation | null;
  error: IErrorInfo | null;
}

/* ------------------------------------------------------------------------ */
/* Decoding helpers                                                          */
/* ------------------------------------------------------------------------ */

class DecodeError extends Error {}

function fail(path: string, expected: string): never {
  throw new DecodeError(`${path}: expected ${expected}`);
}

export function isRecord(value: unknown): value is JSONRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rec(v: unknown, path: string): JSONRecord {
  return isRecord(v) ? v : fail(path, 'an object');
}
function str(v: unknown, path: string): string {
  return typeof v === 'string' ? v : fail(path, 'a string');
}
function nonEmpty(v: unknown, path: string): string {
  const s = str(v, path);
  return s.length > 0 ? s : fail(path, 'a non-empty string');
}
function num(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v)
    ? v
    : fail(path, 'a number');
}
function int(v: unknown, path: string): number {
  return Number.isInteger(v) ? (v as number) : fail(path, 'an integer');
}
function bool(v: unknown, path: string): boolean {
  return typeof v === 'boolean' ? v : fail(path, 'a boolean');
}
function nullable<T>(
  f: (v: unknown, path: string) => T
): (v: unknown, path: string) => T | null {
  return (v, path) => (v === null ? null : f(v, path));
}
/** Absent (undefined) or null or T. */
function optionalNullable<T>(
  f: (v: unknown, path: string) => T
): (v: unknown, path: string) => T | null | undefined {
  return (v, path) => (v === undefined || v === null ? v : f(v, path));
}
function arr<T>(
  v: unknown,
  path: string,
  f: (item: unknown, path: string) => T
): T[] {
  if (!Array.isArray(v)) {
    fail(path, 'an array');
  }
  return (v as unknown[]).map((item, i) => f(item, `${path}[${i}]`));
}
function oneOf<T extends string>(
  v: unknown,
  path: string,
  values: readonly T[]
): T {
  return typeof v === 'string' && (values as readonly string[]).includes(v)
    ? (v as T)
    : fail(path, `one of ${values.join(', ')}`);
}

function run<T>(f: () => T): Decoded<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof DecodeError) {
      return { ok: false, error: e.message };
    }
    throw e;
  }
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

function argsFor<K extends Op>(op: K, a: JSONRecord): IOpArgs[K] {
  const p = 'args';
  switch (op) {
    case 'hello':
    case 'list_pins':
    case 'list_cached':
    case 'cache_stats':
      return {} as IOpArgs[K];
    case 'pin': {
      const out: IOpArgs['pin'] = {
        key: nonEmpty(a.key, `${p}.key`),
        alias: nonEmpty(a.alias, `${p}.alias`)
      };
      if (a.overwrite !== undefined) {
        out.overwrite = bool(a.overwrite, `${p}.overwrite`);
      }
      return out as IOpArgs[K];
    }
    case 'unpin':
    case 'import_pinned':
      return { alias: nonEmpty(a.alias, `${p}.alias`) } as IOpArgs[K];
    case 'rename_pin':
      return {
        old: nonEmpty(a.old, `${p}.old`),
        new: nonEmpty(a.new, `${p}.new`)
      } as IOpArgs[K];
    case 'gc_cache': {
      const out: IGcArgs = { dry_run: bool(a.dry_run, `${p}.dry_run`) };
      const mb = optionalNullable(int)(a.max_bytes, `${p}.max_bytes`);
      const age = optionalNullable(num)(a.max_age_days, `${p}.max_age_days`);
      const keep = optionalNullable(int)(a.keep_n_newest, `${p}.keep_n_newest`);
      if (mb !== undefined) {
        out.max_bytes = mb;
      }
      if (age !== undefined) {
        out.max_age_days = age;
      }
      if (keep !== undefined) {
        out.keep_n_newest = keep;
      }
      return out as IOpArgs[K];
    }
  }
  return fail('op', `one of ${OPS.join(', ')}`);
}

export function decodeRequest(value: unknown): Decoded<IRequest> {
  return run(() => {
    const m = rec(value, 'message');
    if (m.type !== 'request') {
      fail('type', '"request"');
    }
    const id = nonEmpty(m.id, 'id');
    const op = oneOf(m.op, 'op', OPS);
    const args = argsFor(op, rec(m.args, 'args'));
    return { type: 'request', id, op, args } as IRequest;
  });
}

/* ------------------------------------------------------------------------ */
/* Replies, events                                                           */
/* ------------------------------------------------------------------------ */

function errorInfo(v: unknown, path: string): IErrorInfo {
  const e = rec(v, path);
  return {
    type: str(e.type, `${path}.type`),
    message: str(e.message, `${path}.message`)
  };
}

export function decodeReply(value: unknown): Decoded<Reply> {
  return run((): Reply => {
    const m = rec(value, 'message');
    if (m.type !== 'reply') {
      fail('type', '"reply"');
    }
    const id = nonEmpty(m.id, 'id');
    const ok = bool(m.ok, 'ok');
    if (ok) {
      return { type: 'reply', id, ok: true, result: rec(m.result, 'result') };
    }
    return { type: 'reply', id, ok: false, error: errorInfo(m.error, 'error') };
  });
}

export function decodeEvent(value: unknown): Decoded<ProtocolEvent> {
  return run((): ProtocolEvent => {
    const m = rec(value, 'message');
    if (m.type !== 'event') {
      fail('type', '"event"');
    }
    const event = oneOf(m.event, 'event', ['pins_changed', 'cache_changed']);
    const d = rec(m.data, 'data');
    const cache_dir = str(d.cache_dir, 'data.cache_dir');
    if (event === 'cache_changed') {
      return { type: 'event', event, data: { cache_dir } };
    }
    const pinsIn = rec(d.pins, 'data.pins');
    const pins: { [alias: string]: string } = {};
    for (const [alias, key] of Object.entries(pinsIn)) {
      pins[alias] = str(key, `data.pins.${alias}`);
    }
    return { type: 'event', event, data: { cache_dir, pins } };
  });
}

/** Decode anything arriving on the comm (reply or event). */
export function decodeIncoming(value: unknown): Decoded<IncomingMessage> {
  if (isRecord(value) && value.type === 'event') {
    return decodeEvent(value);
  }
  if (isRecord(value) && value.type === 'reply') {
    return decodeReply(value);
  }
  return { ok: false, error: 'type: expected "reply" or "event"' };
}

/* ------------------------------------------------------------------------ */
/* Results of each op                                                        */
/* ------------------------------------------------------------------------ */

function pinRow(v: unknown, path: string): IPinRow {
  const r = rec(v, path);
  return {
    alias: str(r.alias, `${path}.alias`),
    key: str(r.key, `${path}.key`),
    module_name: nullable(str)(r.module_name, `${path}.module_name`),
    size_bytes: nullable(num)(r.size_bytes, `${path}.size_bytes`),
    created_utc: nullable(str)(r.created_utc, `${path}.created_utc`),
    in_cache: bool(r.in_cache, `${path}.in_cache`)
  };
}

function cacheRow(v: unknown, path: string): ICacheRow {
  const r = rec(v, path);
  return {
    key: str(r.key, `${path}.key`),
    module_name: str(r.module_name, `${path}.module_name`),
    size_bytes: num(r.size_bytes, `${path}.size_bytes`),
    created_utc: str(r.created_utc, `${path}.created_utc`),
    profile: str(r.profile, `${path}.profile`),
    aliases: arr(r.aliases, `${path}.aliases`, str)
  };
}

type ResultDecoders = {
  [K in Op]: (r: JSONRecord) => IOpResults[K];
};

const RESULT_DECODERS: ResultDecoders = {
  hello: r => ({
    protocol_version: int(r.protocol_version, 'result.protocol_version'),
    helper_version: str(r.helper_version, 'result.helper_version'),
    cache_dir: str(r.cache_dir, 'result.cache_dir'),
    python_executable: str(r.python_executable, 'result.python_executable'),
    cython_version: nullable(str)(r.cython_version, 'result.cython_version')
  }),
  list_pins: r => ({
    cache_dir: str(r.cache_dir, 'result.cache_dir'),
    pins: arr(r.pins, 'result.pins', pinRow)
  }),
  pin: r => ({
    alias: str(r.alias, 'result.alias'),
    key: str(r.key, 'result.key')
  }),
  unpin: r => ({
    alias: str(r.alias, 'result.alias'),
    removed: bool(r.removed, 'result.removed')
  }),
  rename_pin: r => ({
    alias: str(r.alias, 'result.alias'),
    key: str(r.key, 'result.key')
  }),
  list_cached: r => ({
    cache_dir: str(r.cache_dir, 'result.cache_dir'),
    entries: arr(r.entries, 'result.entries', cacheRow)
  }),
  cache_stats: r => ({
    cache_dir: str(r.cache_dir, 'result.cache_dir'),
    entries: int(r.entries, 'result.entries'),
    total_bytes: num(r.total_bytes, 'result.total_bytes'),
    pins: int(r.pins, 'result.pins')
  }),
  gc_cache: r => ({
    dry_run: bool(r.dry_run, 'result.dry_run'),
    removed: arr(r.removed, 'result.removed', cacheRow),
    freed_bytes: num(r.freed_bytes, 'result.freed_bytes'),
    kept: int(r.kept, 'result.kept')
  }),
  import_pinned: r => ({
    alias: str(r.alias, 'result.alias'),
    key: str(r.key, 'result.key'),
    module_name: str(r.module_name, 'result.module_name'),
    names: arr(r.names, 'result.names', str)
  })
};

export function decodeResult<K extends Op>(
  op: K,
  result: unknown
): Decoded<IOpResults[K]> {
  return run(() => RESULT_DECODERS[op](rec(result, 'result')));
}

/* ------------------------------------------------------------------------ */
/* Build result                                                              */
/* ------------------------------------------------------------------------ */

function diagnostic(v: unknown, path: string): IDiagnostic {
  const d = rec(v, path);
  return {
    line: int(d.line, `${path}.line`),
    column: int(d.column, `${path}.column`),
    severity: oneOf(d.severity, `${path}.severity`, [
      'error',
      'warning',
      'note'
    ] as const),
    message: str(d.message, `${path}.message`),
    source: oneOf(d.source, `${path}.source`, [
      'cython',
      'compiler',
      'linker',
      'helper'
    ] as const),
    file: nullable(str)(d.file, `${path}.file`)
  };
}

function annotation(v: unknown, path: string): IAnnotation {
  const a = rec(v, path);
  return {
    max_score: num(a.max_score, `${path}.max_score`),
    lines: arr(a.lines, `${path}.lines`, (l, lp) => {
      const r = rec(l, lp);
      return {
        line: int(r.line, `${lp}.line`),
        score: num(r.score, `${lp}.score`),
        source: str(r.source, `${lp}.source`),
        c_code: str(r.c_code, `${lp}.c_code`)
      };
    })
  };
}

export function decodeBuildResult(value: unknown): Decoded<IBuildResult> {
  return run((): IBuildResult => {
    const b = rec(value, 'build result');
    if (b.version !== 1) {
      fail('version', '1');
    }
    const status = oneOf(b.status, 'status', ['ok', 'error'] as const);
    const t = rec(b.timings, 'timings');
    return {
      version: 1,
      status,
      key: nullable(str)(b.key, 'key'),
      module_name: nullable(str)(b.module_name, 'module_name'),
      artifact_path: nullable(str)(b.artifact_path, 'artifact_path'),
      cache_dir: str(b.cache_dir, 'cache_dir'),
      used_cache: bool(b.used_cache, 'used_cache'),
      reused_module: bool(b.reused_module, 'reused_module'),
      created_utc: nullable(str)(b.created_utc, 'created_utc'),
      profile: oneOf(b.profile, 'profile', PROFILES),
      timings: {
        hash: num(t.hash, 'timings.hash'),
        cythonize: num(t.cythonize, 'timings.cythonize'),
        compile: num(t.compile, 'timings.compile'),
        load: num(t.load, 'timings.load'),
        total: num(t.total, 'timings.total')
      },
      diagnostics: arr(b.diagnostics, 'diagnostics', diagnostic),
      aliases: arr(b.aliases, 'aliases', str),
      names: arr(b.names, 'names', str),
      annotation: nullable(annotation)(b.annotation, 'annotation'),
      error: nullable(errorInfo)(b.error, 'error')
    };
  });
}

/* ------------------------------------------------------------------------ */
/* Activation (docs/protocol.md §1)                                          */
/* ------------------------------------------------------------------------ */

export const ACTIVATION_EXPRESSIONS = {
  python: "__import__('sys').executable",
  activate: "__import__('cython_pin.kernel', fromlist=['activate']).activate()"
} as const;

/** The pip line shown when the helper is missing in a kernel. */
export function pipInstallLine(pythonRepr: string): string {
  const python = pythonRepr.replace(/^['"]|['"]$/g, '');
  return `"${python}" -m pip install cython-pin`;
}
