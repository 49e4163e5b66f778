import { ISessionContext } from '@jupyterlab/apputils';
import { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { KernelConnector } from '../../src/kernel/connector';
import { FakeHelper, flush } from './helpers/fakeHelper';

/** A kernel double: kernel_info, silent execute with user_expressions, one comm target. */
class FakeKernel {
  constructor(
    public language = 'python',
    public helperInstalled = true,
    public readonly helper = new FakeHelper()
  ) {}
  name = 'python3';
  id = 'k-1';
  /** When true, comm requests get no answer (a long cell is running). */
  stalled = false;
  executes: {
    code: string;
    silent: boolean;
    store_history: boolean;
    user_expressions?: { [key: string]: string };
  }[] = [];
  comms: { data: unknown[]; disposed: boolean }[] = [];
  commHandles: { commsOverSubshells: string }[] = [];
  get info() {
    return Promise.resolve({ language_info: { name: this.language } });
  }
  requestExecute(content: {
    code: string;
    silent: boolean;
    store_history: boolean;
  }) {
    this.executes.push(content);
    const activate = this.helperInstalled
      ? { status: 'ok', data: { 'text/plain': '1' } }
      : {
          status: 'error',
          ename: 'ModuleNotFoundError',
          evalue: "No module named 'cython_pin'"
        };
    return {
      done: Promise.resolve({
        content: {
          status: 'ok',
          user_expressions: {
            python: {
              status: 'ok',
              data: { 'text/plain': "'/env/bin/python'" }
            },
            activate
          }
        }
      })
    };
  }
  createComm() {
    const record = { data: [] as unknown[], disposed: false };
    this.comms.push(record);
    const comm = {
      commsOverSubshells: 'perCommTarget' as string,
      onMsg: (_msg: { content: { data: unknown } }) => undefined as void,
      onClose: () => undefined as void,
      get isDisposed() {
        return record.disposed;
      },
      open: () => undefined,
      dispose: () => {
        record.disposed = true;
      },
      send: (data: { [key: string]: unknown }) => {
        record.data.push(data);
        if (!this.stalled) {
          const reply = this.helper.handle(data);
          setTimeout(() => comm.onMsg({ content: { data: reply } }), 0);
        }
      }
    };
    this.commHandles.push(comm);
    return comm;
  }
}

function session(kernel: FakeKernel | null) {
  const sc = {
    session: { kernel },
    kernelDisplayStatus: 'idle',
    kernelChanged: new Signal<object, unknown>({}),
    statusChanged: new Signal<object, Kernel.Status>({}),
    connectionStatusChanged: new Signal<object, Kernel.ConnectionStatus>({}),
    ready: Promise.resolve()
  };
  return sc;
}

function connect(
  kernel: FakeKernel | null,
  autoLoad = true,
  takeOverCython?: () => boolean,
  cacheDir: () => string = () => ''
) {
  const sc = session(kernel);
  const connector = new KernelConnector({
    sessionContext: sc as unknown as ISessionContext,
    autoLoad: () => autoLoad,
    cacheDir,
    takeOverCython
  });
  return { sc, connector };
}

describe('KernelConnector', () => {
  it('loads the helper silently and connects', async () => {
    const kernel = new FakeKernel();
    const { connector } = connect(kernel);
    await flush();
    expect(connector.state.status).toBe('ready');
    expect(connector.state.message).toBe(
      'Connected to python3 (/usr/bin/python3); cache /tmp/cache'
    );
    expect(kernel.executes).toEqual([
      expect.objectContaining({ code: '', silent: true, store_history: false })
    ]);
    await expect(connector.request('list_pins', {})).resolves.toEqual({
      cache_dir: '/tmp/cache',
      pins: []
    });
    // On the main shell, not a subshell: requests wait behind a running cell and the status stays true.
    expect(kernel.commHandles[0].commsOverSubshells).toBe('disabled');
  });

  it('runs the %%cython takeover when the setting is on, undoes only its own', async () => {
    const kernel = new FakeKernel();
    let setting = true;
    const { connector } = connect(kernel, true, () => setting);
    await flush();
    const takeover = (i: number) =>
      kernel.executes[i].user_expressions?.takeover;
    expect(kernel.executes[0].user_expressions).toMatchObject({
      activate: expect.stringContaining('activate()')
    });
    expect(takeover(0)).toBe(
      "__import__('cython_pin').take_over_cython_magic(True)"
    );
    setting = false;
    await connector.activate(true);
    expect(takeover(1)).toBe(
      "__import__('cython_pin').take_over_cython_magic(False)"
    );
    await connector.activate(true);
    expect(takeover(2)).toBeUndefined();
    expect(connector.state.status).toBe('ready');
  });

  it('clearing the cacheDir setting removes the override it set, only in that kernel process', async () => {
    const kernel = new FakeKernel();
    let setting = '/srv/cache';
    const { sc, connector } = connect(kernel, true, undefined, () => setting);
    await flush();
    const SET =
      "__import__('os').environ.__setitem__('CYTHON_PIN_CACHE_DIR', \"/srv/cache\")";
    const UNSET = "__import__('os').environ.pop('CYTHON_PIN_CACHE_DIR', None)";
    setting = ''; // "empty: the default"
    await connector.activate(true);
    await connector.activate(true); // already removed: nothing more to do
    expect(kernel.executes.map(e => e.code)).toEqual([SET, UNSET, '']);
    // a restarted kernel is a new process: an override it was started with is not ours to remove
    setting = '/srv/cache';
    await connector.activate(true);
    sc.statusChanged.emit('restarting');
    setting = '';
    sc.statusChanged.emit('idle');
    await flush();
    expect(kernel.executes.map(e => e.code).slice(3)).toEqual([SET, '']);
    expect(connector.state.status).toBe('ready');
  });

  it('never touches %%cython when the setting is off (the default)', async () => {
    const kernel = new FakeKernel();
    connect(kernel);
    await flush();
    expect(
      Object.keys(kernel.executes[0].user_expressions ?? {}).sort()
    ).toEqual(['activate', 'python']);
  });

  it('explains a missing helper with the pip line for that kernel', async () => {
    const { connector } = connect(new FakeKernel('python', false));
    await flush();
    expect(connector.state).toMatchObject({
      status: 'missing-helper',
      pipLine: '"/env/bin/python" -m pip install cython-pin'
    });
    await expect(connector.request('hello', {})).rejects.toMatchObject({
      type: 'NotConnected'
    });
  });

  it('stays away from non-Python kernels', async () => {
    const kernel = new FakeKernel('R');
    const { connector } = connect(kernel);
    await flush();
    expect(connector.state).toMatchObject({
      status: 'not-python',
      message: 'Kernel language is R, not Python.'
    });
    expect(kernel.executes).toEqual([]);
  });

  it('waits for a manual load when automatic loading is off', async () => {
    const kernel = new FakeKernel();
    const { connector } = connect(kernel, false);
    await flush();
    expect(connector.state.status).toBe('disabled');
    expect(kernel.executes).toEqual([]);
    await connector.activate(true);
    expect(connector.state.status).toBe('ready');
  });

  it('shows queued behind a busy kernel; a dying kernel ends the request with an error', async () => {
    const kernel = new FakeKernel();
    const { sc, connector } = connect(kernel);
    await flush();
    kernel.stalled = true;
    sc.kernelDisplayStatus = 'busy';
    const pending = connector.request('list_pins', {});
    expect(connector.isQueued).toBe(true);
    sc.statusChanged.emit('dead');
    await expect(pending).rejects.toMatchObject({
      type: 'KernelDied',
      message: 'The kernel died before the helper answered.'
    });
    expect(connector.state).toMatchObject({
      status: 'dead',
      message: 'The kernel is dead.'
    });
    expect(connector.pending).toEqual([]);
  });

  it('re-initialises after a restart with a new comm', async () => {
    const kernel = new FakeKernel();
    const { sc, connector } = connect(kernel);
    await flush();
    kernel.stalled = true;
    const pending = connector.request('list_pins', {});
    sc.statusChanged.emit('restarting');
    await expect(pending).rejects.toMatchObject({ type: 'KernelRestarted' });
    expect(connector.state.status).toBe('connecting');
    expect(kernel.comms[0].disposed).toBe(true);
    kernel.stalled = false;
    sc.statusChanged.emit('idle');
    await flush();
    expect(connector.state.status).toBe('ready');
    expect(kernel.executes).toHaveLength(2);
    expect(kernel.comms).toHaveLength(2);
  });

  it('follows a kernel change', async () => {
    const first = new FakeKernel();
    const { sc, connector } = connect(first);
    await flush();
    const second = new FakeKernel('R');
    sc.session.kernel = second;
    sc.kernelChanged.emit({});
    await flush();
    expect(connector.state.status).toBe('not-python');
    expect(first.comms[0].disposed).toBe(true);
  });
});

describe('KernelConnector and the websocket', () => {
  it('fails pending requests when the connection drops and reloads when it is back', async () => {
    const kernel = new FakeKernel();
    const { sc, connector } = connect(kernel);
    await flush();
    kernel.stalled = true;
    const pending = connector.request('cache_stats', {});
    sc.connectionStatusChanged.emit('disconnected');
    await expect(pending).rejects.toMatchObject({ type: 'ConnectionLost' });
    expect(connector.state.message).toBe('Reconnecting to the kernel…');
    kernel.stalled = false;
    sc.connectionStatusChanged.emit('connecting');
    sc.connectionStatusChanged.emit('connected');
    await flush();
    expect(connector.state.status).toBe('ready');
  });

  it('does not load twice on the first connection', async () => {
    const kernel = new FakeKernel();
    const { sc } = connect(kernel);
    sc.connectionStatusChanged.emit('connecting');
    sc.connectionStatusChanged.emit('connected');
    await flush();
    expect(kernel.executes).toHaveLength(1);
  });
});
