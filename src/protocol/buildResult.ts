/** Decoder for the build-result bundle (BuildResult in the schema). */
import {
  BUILD_ORIGINS,
  BUILD_STATUSES,
  BuildResult,
  PROFILES,
  PROTOCOL_VERSION,
  TimingKey,
  Timings
} from '../_generated/protocol';
import {
  arr,
  bool,
  Decoded,
  fail,
  nonEmpty,
  nullable,
  num,
  oneOf,
  rec,
  run,
  str
} from './decode';
import { annotation } from './annotation';
import { diagnostic } from './diagnostic';
import { errorInfo } from './messages';

/** Every phase, the optional ones (absent from older helpers) as 0. */
export type IFullTimings = Required<Timings>;

function timings(v: unknown, path: string): IFullTimings {
  const t = rec(v, path);
  const seconds = (k: TimingKey) => nonNegative(t[k], `${path}.${k}`);
  const optional = (k: TimingKey) => (t[k] === undefined ? 0 : seconds(k));
  return {
    hash: seconds('hash'),
    wait: optional('wait'),
    fetch: optional('fetch'),
    cythonize: seconds('cythonize'),
    compile: seconds('compile'),
    shared: optional('shared'),
    rebuild: optional('rebuild'),
    load: seconds('load'),
    total: seconds('total')
  };
}

function nonNegative(v: unknown, path: string): number {
  const n = num(v, path);
  if (n < 0) {
    fail(path, 'a number >= 0');
  }
  return n;
}

export function decodeBuildResult(value: unknown): Decoded<BuildResult> {
  return run((): BuildResult => {
    const b = rec(value, 'build result');
    const status = oneOf(b.status, 'status', BUILD_STATUSES);
    const error = nullable(errorInfo)(b.error, 'error');
    if ((status === 'error') !== (error !== null)) {
      fail(
        'error',
        status === 'error'
          ? 'an object when status is "error"'
          : 'null when status is "ok"'
      );
    }
    return {
      version: oneOf(b.version, 'version', [PROTOCOL_VERSION]),
      status,
      key: nullable(str)(b.key, 'key'),
      module_name: nullable(str)(b.module_name, 'module_name'),
      artifact_path: nullable(str)(b.artifact_path, 'artifact_path'),
      cache_dir: nonEmpty(b.cache_dir, 'cache_dir'),
      used_cache: bool(b.used_cache, 'used_cache'),
      origin: nullable((v: unknown, p: string) => oneOf(v, p, BUILD_ORIGINS))(
        b.origin,
        'origin'
      ),
      signer: nullable(str)(b.signer, 'signer'),
      built_ahead_utc: nullable(str)(b.built_ahead_utc, 'built_ahead_utc'),
      reused_module: bool(b.reused_module, 'reused_module'),
      module_code_skipped: bool(b.module_code_skipped, 'module_code_skipped'),
      created_utc: nullable(str)(b.created_utc, 'created_utc'),
      profile: oneOf(b.profile, 'profile', PROFILES),
      timings: timings(b.timings, 'timings'),
      diagnostics: arr(b.diagnostics, 'diagnostics', diagnostic),
      aliases: arr(b.aliases, 'aliases', str),
      ...(b.team_aliases !== undefined
        ? {
            team_aliases: arr(b.team_aliases, 'team_aliases', str),
            team_signer:
              b.team_signer === undefined
                ? null
                : nullable(str)(b.team_signer, 'team_signer')
          }
        : {}),
      names: arr(b.names, 'names', str),
      annotation: nullable(annotation)(b.annotation, 'annotation'),
      error,
      ...(b.log !== undefined ? { log: str(b.log, 'log') } : {})
    };
  });
}
