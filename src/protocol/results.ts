/** Decoders for the result of each op (OpResults in the schema). */
import {
  CacheRow,
  CacheStatsResult,
  CatalogueResult,
  ENTRY_KINDS,
  GcResult,
  ListCachedResult,
  ListPinsResult,
  Op,
  OpResults,
  PGO_STEPS,
  PinRow,
  PREBUILD_DECISIONS,
  PROFILES,
  PROTOCOL_VERSION,
  REMOTE_MODES,
  RemoteStatus,
  TeamCatalogueResult,
  TeamPinRow,
  TOOLCHAIN_KINDS,
  ToolchainRow
} from '../_generated/protocol';
import {
  arr,
  bool,
  Decoded,
  int,
  JSONRecord,
  nonEmpty,
  nullable,
  oneOf,
  rec,
  Row,
  rows,
  run,
  str
} from './decode';

/** `T` with its list fields `F` decoded row by row (Row: the row, or an IUnreadableRow). */
type WithRows<T, F extends keyof T> = Omit<T, F> & {
  [K in F]: T[K] extends (infer R)[] ? Row<R>[] : never;
};

/**
 * What each op's reply decodes to: OpResults of the contract, except that the lists of pins, cache
 * entries and toolchain entries hold an IUnreadableRow where a row did not match the contract.
 */
export type DecodedResults = Omit<
  OpResults,
  'list_pins' | 'list_cached' | 'gc_cache' | 'catalogue' | 'team_catalogue'
> & {
  list_pins: WithRows<ListPinsResult, 'pins'>;
  list_cached: WithRows<ListCachedResult, 'entries'>;
  gc_cache: WithRows<GcResult, 'removed' | 'removed_toolchain'>;
  catalogue: WithRows<CatalogueResult, 'pins' | 'entries' | 'toolchain'>;
  team_catalogue: WithRows<TeamCatalogueResult, 'pins'>;
};

function pinRow(v: unknown, path: string): PinRow {
  const r = rec(v, path);
  return {
    alias: nonEmpty(r.alias, `${path}.alias`),
    key: nonEmpty(r.key, `${path}.key`),
    module_name: nullable(str)(r.module_name, `${path}.module_name`),
    size_bytes: nullable(int)(r.size_bytes, `${path}.size_bytes`),
    created_utc: nullable(str)(r.created_utc, `${path}.created_utc`),
    in_cache: bool(r.in_cache, `${path}.in_cache`)
  };
}

export function cacheRow(v: unknown, path: string): CacheRow {
  const r = rec(v, path);
  return {
    key: nonEmpty(r.key, `${path}.key`),
    kind: nullable((v, p) => oneOf(v, p, ENTRY_KINDS))(r.kind, `${path}.kind`),
    module_name: nullable(nonEmpty)(r.module_name, `${path}.module_name`),
    size_bytes: int(r.size_bytes, `${path}.size_bytes`),
    created_utc: nullable(str)(r.created_utc, `${path}.created_utc`),
    profile: nullable((v, p) => oneOf(v, p, PROFILES))(
      r.profile,
      `${path}.profile`
    ),
    pgo: nullable((v, p) => oneOf(v, p, PGO_STEPS))(r.pgo, `${path}.pgo`),
    numpy: bool(r.numpy, `${path}.numpy`),
    aliases: arr(r.aliases, `${path}.aliases`, str)
  };
}

export function toolchainRow(v: unknown, path: string): ToolchainRow {
  const r = rec(v, path);
  return {
    kind: oneOf(r.kind, `${path}.kind`, TOOLCHAIN_KINDS),
    id: nonEmpty(r.id, `${path}.id`),
    size_bytes: int(r.size_bytes, `${path}.size_bytes`),
    created_utc: nullable(str)(r.created_utc, `${path}.created_utc`),
    toolchain: nullable(str)(r.toolchain, `${path}.toolchain`),
    flags: nullable(str)(r.flags, `${path}.flags`),
    present: nullable(bool)(r.present, `${path}.present`)
  };
}

function remoteStatus(r: JSONRecord, path: string): RemoteStatus {
  return {
    configured: bool(r.configured, `${path}.configured`),
    url: nullable(str)(r.url, `${path}.url`),
    mode: nullable((v, p) => oneOf(v, p, REMOTE_MODES))(r.mode, `${path}.mode`),
    reachable: nullable(bool)(r.reachable, `${path}.reachable`),
    trusted_keys: int(r.trusted_keys, `${path}.trusted_keys`),
    can_write: bool(r.can_write, `${path}.can_write`),
    // Optional: older helpers do not send it.
    signing_key_id:
      r.signing_key_id === undefined
        ? null
        : nullable(str)(r.signing_key_id, `${path}.signing_key_id`),
    message: nullable(str)(r.message, `${path}.message`)
  };
}

function teamPinRow(v: unknown, path: string): TeamPinRow {
  const r = rec(v, path);
  return {
    alias: nonEmpty(r.alias, `${path}.alias`),
    key: nonEmpty(r.key, `${path}.key`),
    in_cache: bool(r.in_cache, `${path}.in_cache`)
  };
}

function cacheStats(r: JSONRecord, path: string): CacheStatsResult {
  return {
    cache_dir: nonEmpty(r.cache_dir, `${path}.cache_dir`),
    entries: int(r.entries, `${path}.entries`),
    total_bytes: int(r.total_bytes, `${path}.total_bytes`),
    pins: int(r.pins, `${path}.pins`)
  };
}

/** One decoder per op, each returning the generated result type (lists row by row: DecodedResults). */
const RESULT_DECODERS: {
  [K in Op]: (r: JSONRecord) => DecodedResults[K];
} = {
  hello: r => ({
    protocol_version: oneOf(r.protocol_version, 'result.protocol_version', [
      PROTOCOL_VERSION
    ]),
    helper_version: nonEmpty(r.helper_version, 'result.helper_version'),
    cache_dir: nonEmpty(r.cache_dir, 'result.cache_dir'),
    python_executable: str(r.python_executable, 'result.python_executable'),
    cython_version: nullable(str)(r.cython_version, 'result.cython_version')
  }),
  list_pins: r => ({
    cache_dir: nonEmpty(r.cache_dir, 'result.cache_dir'),
    pins: rows(r.pins, 'result.pins', pinRow)
  }),
  pin: r => ({
    alias: nonEmpty(r.alias, 'result.alias'),
    key: nonEmpty(r.key, 'result.key')
  }),
  unpin: r => ({
    alias: nonEmpty(r.alias, 'result.alias'),
    removed: bool(r.removed, 'result.removed')
  }),
  rename_pin: r => ({
    alias: nonEmpty(r.alias, 'result.alias'),
    key: nonEmpty(r.key, 'result.key')
  }),
  list_cached: r => ({
    cache_dir: nonEmpty(r.cache_dir, 'result.cache_dir'),
    entries: rows(r.entries, 'result.entries', cacheRow)
  }),
  cache_stats: r => cacheStats(r, 'result'),
  gc_cache: r => ({
    dry_run: bool(r.dry_run, 'result.dry_run'),
    removed: rows(r.removed, 'result.removed', cacheRow),
    removed_toolchain: rows(
      r.removed_toolchain,
      'result.removed_toolchain',
      toolchainRow
    ),
    freed_bytes: int(r.freed_bytes, 'result.freed_bytes'),
    kept: int(r.kept, 'result.kept')
  }),
  catalogue: r => ({
    cache_dir: nonEmpty(r.cache_dir, 'result.cache_dir'),
    pins: rows(r.pins, 'result.pins', pinRow),
    entries: rows(r.entries, 'result.entries', cacheRow),
    toolchain: rows(r.toolchain, 'result.toolchain', toolchainRow),
    stats: cacheStats(rec(r.stats, 'result.stats'), 'result.stats')
  }),
  import_pinned: r => ({
    alias: nonEmpty(r.alias, 'result.alias'),
    key: nonEmpty(r.key, 'result.key'),
    module_name: nonEmpty(r.module_name, 'result.module_name'),
    names: arr(r.names, 'result.names', str)
  }),
  prebuild: r => ({
    cell_id: str(r.cell_id, 'result.cell_id'),
    generation: int(r.generation, 'result.generation'),
    key: nullable(nonEmpty)(r.key, 'result.key'),
    decision: oneOf(r.decision, 'result.decision', PREBUILD_DECISIONS),
    reason: nullable(str)(r.reason, 'result.reason')
  }),
  team_catalogue: r => ({
    remote: remoteStatus(rec(r.remote, 'result.remote'), 'result.remote'),
    pins: rows(r.pins, 'result.pins', teamPinRow)
  })
};

export function decodeResult<K extends Op>(
  op: K,
  result: unknown
): Decoded<DecodedResults[K]> {
  return run(() => RESULT_DECODERS[op](rec(result, 'result')));
}
