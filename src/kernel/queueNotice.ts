import { TranslationBundle } from '@jupyterlab/translation';
import type { IKernelConnector } from '../tokens';
import { NULL_TRANS } from '../translation';

/** Shows and hides a notice; `Notification` in the app, a fake in tests. */
export interface INoticeSink {
  show(message: string): string;
  dismiss(id: string): void;
}

/**
 * While `work` waits behind a running cell, tell the user it is queued (not
 * hung); the notice goes away when the request settles, however it ends.
 */
export function noticeWhileQueued<T>(
  connector: Pick<IKernelConnector, 'isQueued'>,
  work: Promise<T>,
  what: string,
  sink: INoticeSink,
  delayMs = 300,
  trans: TranslationBundle = NULL_TRANS
): Promise<T> {
  let id: string | null = null;
  let settled = false;
  const timer = setTimeout(() => {
    if (!settled && connector.isQueued) {
      id = sink.show(
        trans.__(
          'Cython Pin: %1 is queued: the kernel is busy running a cell.',
          what
        )
      );
    }
  }, delayMs);
  const done = () => {
    settled = true;
    clearTimeout(timer);
    if (id !== null) {
      sink.dismiss(id);
    }
  };
  work.then(done, done);
  return work;
}
