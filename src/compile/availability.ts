import { TranslationBundle } from '@jupyterlab/translation';
import type { IKernelConnector } from '../tokens';
import { NULL_TRANS } from '../translation';

/** Why the compile command is unavailable, or null when it can run. */
export function unavailableReason(
  connector: IKernelConnector | null | undefined,
  trans: TranslationBundle = NULL_TRANS
): string | null {
  if (!connector) {
    return trans.__('Open a notebook first.');
  }
  const s = connector.state;
  switch (s.status) {
    case 'not-python':
    case 'no-kernel':
    case 'missing-helper':
    case 'dead':
      return s.message;
    default:
      return null;
  }
}
