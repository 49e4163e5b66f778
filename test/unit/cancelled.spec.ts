import { wasCancelled } from '../../src/compile/cancelled';

/** The shape of @jupyterlab/notebook's KernelError: errorName is the reply's ename. */
const kernelError = (content: { ename?: string; evalue?: string }) =>
  Object.assign(new Error(`KernelReplyNotOK: ${content.ename}`), {
    errorName: content.ename,
    errorValue: content.evalue
  });

describe('a Compile the kernel aborted', () => {
  it('is cancelled when the reply was aborted (no exception name)', () => {
    expect(wasCancelled(false, kernelError({}))).toBe(true);
  });

  it('is not cancelled when it ran, failed, or the running build was interrupted', () => {
    expect(wasCancelled(true, undefined)).toBe(false);
    expect(
      wasCancelled(false, kernelError({ ename: 'BuildError', evalue: 'x' }))
    ).toBe(false);
    expect(
      wasCancelled(false, kernelError({ ename: 'KeyboardInterrupt' }))
    ).toBe(false);
  });
});
