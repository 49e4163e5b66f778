import type { KernelConnector } from './connector';

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
  connector: Pick<KernelConnector, 'isQueued'>,
  work: Promise<T>,
  what: string,
  sink: INoticeSink,
  delayMs = 300
): Promise<T> {
  let id: string | null = null;
  let settled = false;
  const timer = setTimeout(() => {
    if (!settled && connector.isQueued) {
      id = sink.show(
        `Cython Pin: ${what} is queued: the kernel is busy running a cell.`
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
