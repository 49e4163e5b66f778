import { CommsOverSubshells, Kernel } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { JSONObject } from '@lumino/coreutils';
import { COMM_TARGET } from '../protocol';
import { ProtocolClient } from './client';

/**
 * A comm to the helper on the kernel's main shell, not on a subshell: a subshell answers while a cell runs,
 * and its idle status then makes JupyterLab show the kernel Idle during that cell (jupyterlab#10701). On the
 * main shell a request waits its turn, the status stays true and the panel can say the request is queued.
 * Set in the same tick as createComm, before the comm starts its subshell.
 */
export function createHelperComm(
  kernel: Kernel.IKernelConnection
): Kernel.IComm {
  const comm = kernel.createComm(COMM_TARGET);
  comm.commsOverSubshells = CommsOverSubshells.Disabled;
  return comm;
}

/**
 * A ProtocolClient over a new, open helper comm: requests go out on the comm, replies and events come in.
 * When the helper closes the comm, the client's pending requests end and `onClose` is told.
 */
export function openHelperClient(
  kernel: Kernel.IKernelConnection,
  trans: TranslationBundle,
  options: {
    isBusy: () => boolean;
    onClose: (client: ProtocolClient, message: string) => void;
  }
): { comm: Kernel.IComm; client: ProtocolClient } {
  const comm = createHelperComm(kernel);
  const client = new ProtocolClient(
    data => {
      if (comm.isDisposed) {
        throw new Error(trans.__('the comm is closed'));
      }
      comm.send(data as JSONObject);
    },
    trans,
    { isBusy: options.isBusy }
  );
  comm.onMsg = msg => {
    client.handleMessage(msg.content.data);
  };
  comm.onClose = () => {
    const message = trans.__('The helper closed the connection.');
    client.close('CommClosed', message);
    options.onClose(client, message);
  };
  comm.open({});
  return { comm, client };
}
