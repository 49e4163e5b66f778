import { noticeWhileQueued } from '../../src/kernel/queueNotice';

function sink() {
  const shown: string[] = [];
  const dismissed: string[] = [];
  return {
    shown,
    dismissed,
    show: (m: string) => {
      shown.push(m);
      return `n${shown.length}`;
    },
    dismiss: (id: string) => dismissed.push(id)
  };
}

describe('queued notice', () => {
  it('tells the user a request behind a running cell is queued, then removes the notice', async () => {
    const s = sink();
    let finish: (v: string) => void = () => undefined;
    const work = new Promise<string>(r => (finish = r));
    const p = noticeWhileQueued({ isQueued: true }, work, 'Pinning "sq"', s, 5);
    await new Promise(r => setTimeout(r, 20));
    expect(s.shown).toEqual([
      'Cython Pin: Pinning "sq" is queued: the kernel is busy running a cell.'
    ]);
    finish('done');
    await expect(p).resolves.toBe('done');
    expect(s.dismissed).toEqual(['n1']);
  });

  it('removes the notice when the kernel dies instead', async () => {
    const s = sink();
    let fail: (e: Error) => void = () => undefined;
    const work = new Promise<string>((_, r) => (fail = r));
    const p = noticeWhileQueued({ isQueued: true }, work, 'x', s, 5);
    await new Promise(r => setTimeout(r, 20));
    fail(new Error('The kernel died before the helper answered.'));
    await expect(p).rejects.toThrow('The kernel died');
    expect(s.dismissed).toEqual(['n1']);
  });

  it('stays quiet for quick answers or an idle kernel', async () => {
    const s = sink();
    await noticeWhileQueued({ isQueued: true }, Promise.resolve(1), 'x', s, 5);
    await noticeWhileQueued(
      { isQueued: false },
      new Promise(r => setTimeout(r, 20)),
      'x',
      s,
      5
    );
    expect(s.shown).toEqual([]);
  });
});
