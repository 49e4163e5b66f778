import { TranslationBundle } from '@jupyterlab/translation';
import type { KernelMessage } from '@jupyterlab/services';
import {
  ACTIVATION_EXPRESSIONS,
  pipInstallLine,
  PROTOCOL_VERSION
} from '../protocol';
import { NULL_TRANS } from '../translation';

/**
 * Python code run silently before activation: set the cache override, or, with none set, remove the one
 * this extension set earlier in the same kernel process (`unset`), so the helper's default applies again.
 * Otherwise no code: a CYTHON_PIN_CACHE_DIR the kernel was started with stays.
 */
export function activationCode(cacheDir: string, unset = false): string {
  if (cacheDir) {
    return `__import__('os').environ.__setitem__('CYTHON_PIN_CACHE_DIR', ${JSON.stringify(
      cacheDir
    )})`;
  }
  return unset
    ? "__import__('os').environ.pop('CYTHON_PIN_CACHE_DIR', None)"
    : '';
}

/**
 * The `user_expressions` of the activation request: the activation itself,
 * then (when the setting asks for it, or to undo an earlier takeover) the
 * `%%cython` takeover. Evaluated after `activate`; a failure there is ignored.
 */
export function activationExpressions(takeOver: boolean | null): {
  [key: string]: string;
} {
  const expressions: { [key: string]: string } = { ...ACTIVATION_EXPRESSIONS };
  if (takeOver !== null) {
    expressions.takeover = `__import__('cython_pin').take_over_cython_magic(${
      takeOver ? 'True' : 'False'
    })`;
  }
  return expressions;
}

/**
 * The silent execute request that activates the helper (no output, no
 * history, no execution count); `takeOver` as in activationExpressions,
 * `unsetCacheDir` as in activationCode.
 */
export function activationRequest(
  cacheDir: string,
  takeOver: boolean | null,
  unsetCacheDir = false
): KernelMessage.IExecuteRequestMsg['content'] {
  return {
    code: activationCode(cacheDir, unsetCacheDir),
    silent: true,
    store_history: false,
    allow_stdin: false,
    stop_on_error: false,
    user_expressions: activationExpressions(takeOver)
  };
}

/**
 * What to say when the activation request itself did not complete (status error or aborted): the cache
 * directory is named only when one was being set, since with none the request runs no code of ours.
 */
export function activationFailure(
  reply: { status: string; ename?: string; evalue?: string },
  cacheDir: string,
  trans: TranslationBundle = NULL_TRANS
): string {
  const why =
    reply.status === 'error'
      ? `${reply.ename ?? 'Error'}: ${reply.evalue ?? ''}`
      : trans.__('the request was %1', reply.status);
  return cacheDir
    ? trans.__(
        'Setting the cache directory %1 failed in the kernel (%2).',
        cacheDir,
        why
      )
    : trans.__('The kernel did not run the helper activation (%1).', why);
}

/** Reads `user_expressions` of the activation reply (docs/protocol.md §1). */
export function interpretActivation(
  userExpressions: { [key: string]: unknown } | undefined,
  trans: TranslationBundle = NULL_TRANS
):
  | { ok: true }
  | { ok: false; missing: true; pipLine: string }
  | { ok: false; missing: false; message: string } {
  const text = (v: unknown): string | null => {
    if (typeof v === 'object' && v !== null) {
      const o = v as { [k: string]: unknown };
      const data = o.data as { [k: string]: unknown } | undefined;
      if (o.status === 'ok' && data && typeof data['text/plain'] === 'string') {
        return data['text/plain'];
      }
    }
    return null;
  };
  const act = userExpressions?.activate as
    { status?: string; ename?: string; evalue?: string } | undefined;
  if (!act) {
    return {
      ok: false,
      missing: false,
      message: trans.__('The kernel did not answer.')
    };
  }
  if (act.status === 'ok') {
    const version = text(act);
    if (version === String(PROTOCOL_VERSION)) {
      return { ok: true };
    }
    return {
      ok: false,
      missing: false,
      message: trans.__(
        'The cython_pin helper in this kernel speaks protocol %1, this extension speaks %2. Upgrade the helper.',
        String(version),
        PROTOCOL_VERSION
      )
    };
  }
  if (act.ename === 'ModuleNotFoundError') {
    const python = text(userExpressions?.python) ?? 'python';
    return { ok: false, missing: true, pipLine: pipInstallLine(python) };
  }
  return {
    ok: false,
    missing: false,
    message: trans.__(
      'Loading the cython_pin helper failed: %1: %2',
      act.ename ?? 'Error',
      act.evalue ?? ''
    )
  };
}
