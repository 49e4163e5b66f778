import { CommsOverSubshells, Kernel } from '@jupyterlab/services';
import { COMM_TARGET } from '../protocol';

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
