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

function timings(v: unknown, path: string): Timings {
  const t = rec(v, path);
  const seconds = (k: TimingKey) => num(t[k], `${path}.${k}`);
  return {
    hash: seconds('hash'),
    cythonize: seconds('cythonize'),
    compile: seconds('compile'),
    load: seconds('load'),
    total: seconds('total')
  };
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
      names: arr(b.names, 'names', str),
      annotation: nullable(annotation)(b.annotation, 'annotation'),
      error,
      ...(b.log !== undefined ? { log: str(b.log, 'log') } : {})
    };
  });
}
