/** @jest-environment node */
/**
 * Integration: a real `jupyter server` from .venv, a real python3 kernel, the
 * real cython_pin helper (PYTHONPATH=python_helper), gcc and Cython.
 * Drives the extension's own KernelConnector (silent activation + comm) and
 * does build → pin → list → rename → unpin → gc over the real protocol.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import {
  Kernel,
  KernelManager,
  KernelMessage,
  ServerConnection
} from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { execa, ResultPromise } from 'execa';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { WebSocket } from 'ws';
import { CythonPinError } from '../../src/kernel/client';
import { KernelConnector } from '../../src/kernel/connector';
import { IConnectionState } from '../../src/tokens';
import {
  BUILD_MIME_TYPE,
  decodeBuildResult,
  IBuildResult,
  isUnreadable,
  ProtocolEvent
} from '../../src/protocol';

const REPO = path.resolve(__dirname, '..', '..');
const VENV_BIN = path.join(REPO, '.venv', 'bin');
const HELPER_READY = fs.existsSync(
  path.join(REPO, 'python_helper', 'cython_pin', 'kernel.py')
);

jest.setTimeout(240_000);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(
  what: string,
  f: () => Promise<T | null | undefined> | T | null | undefined,
  timeoutMs = 60_000
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (v !== null && v !== undefined && v !== false) {
        return v as T;
      }
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (${String(last)})`);
}

/** The part of ISessionContext the connector uses, over one kernel. */
function sessionContextFor(kernel: Kernel.IKernelConnection) {
  const statusChanged = new Signal<object, Kernel.Status>({});
  const kernelChanged = new Signal<object, unknown>({});
  const connectionStatusChanged = new Signal<object, Kernel.ConnectionStatus>(
    {}
  );
  kernel.statusChanged.connect((_, s) => statusChanged.emit(s));
  kernel.connectionStatusChanged.connect((_, s) =>
    connectionStatusChanged.emit(s)
  );
  return {
    session: { kernel },
    statusChanged,
    kernelChanged,
    connectionStatusChanged,
    ready: Promise.resolve(),
    get kernelDisplayStatus() {
      return kernel.status;
    }
  } as unknown as ISessionContext;
}

/** Run a cell the normal way and collect build results from its outputs. */
async function runCell(
  kernel: Kernel.IKernelConnection,
  code: string
): Promise<{
  reply: KernelMessage.IExecuteReplyMsg['content'];
  builds: IBuildResult[];
  text: string[];
}> {
  const builds: IBuildResult[] = [];
  const text: string[] = [];
  const future = kernel.requestExecute({ code, store_history: true });
  future.onIOPub = msg => {
    const content = msg.content as {
      data?: { [mime: string]: unknown };
      text?: string;
      traceback?: string[];
    };
    if (content.data && content.data[BUILD_MIME_TYPE] !== undefined) {
      const d = decodeBuildResult(content.data[BUILD_MIME_TYPE]);
      if (!d.ok) {
        throw new Error(`bad build result: ${d.error}`);
      }
      builds.push(d.value);
    }
    if (content.data && typeof content.data['text/plain'] === 'string') {
      text.push(content.data['text/plain'] as string);
    }
    if (typeof content.text === 'string') {
      text.push(content.text);
    }
    if (content.traceback) {
      text.push(content.traceback.join('\n'));
    }
  };
  const reply = await future.done;
  return { reply: reply.content, builds, text };
}

const describeIfHelper = HELPER_READY ? describe : describe.skip;

describeIfHelper('real Jupyter server + kernel + cython_pin helper', () => {
  let server: ResultPromise | null = null;
  let serverLog = '';
  let tmp = '';
  let kernel: Kernel.IKernelConnection;
  let manager: KernelManager;
  let connector: KernelConnector;
  const events: ProtocolEvent[] = [];
  let key = '';

  beforeAll(async () => {
    // @jupyterlab/services logs every websocket and status change at debug level.
    jest.spyOn(console, 'debug').mockImplementation(() => undefined);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cython-pin-it-'));
    const root = path.join(tmp, 'root');
    const cache = path.join(tmp, 'cache');
    fs.mkdirSync(root);
    fs.mkdirSync(cache);
    const port = await freePort();
    const token = `t${Math.random().toString(36).slice(2)}`;
    server = execa(
      path.join(VENV_BIN, 'jupyter'),
      [
        'server',
        '--allow-root',
        '--no-browser',
        '--ip=127.0.0.1',
        `--port=${port}`,
        '--port-retries=0',
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${root}`
      ],
      {
        cwd: root,
        env: {
          PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
          PYTHONPATH: path.join(REPO, 'python_helper'),
          CYTHON_PIN_CACHE_DIR: cache,
          JUPYTER_CONFIG_DIR: path.join(tmp, 'config'),
          JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime'),
          JUPYTER_DATA_DIR: path.join(tmp, 'data'),
          IPYTHONDIR: path.join(tmp, 'ipython'),
          HOME: process.env.HOME ?? tmp
        },
        extendEnv: false,
        reject: false,
        all: true,
        buffer: false
      }
    );
    server.all?.on('data', (chunk: Buffer) => {
      serverLog = (serverLog + chunk.toString()).slice(-20_000);
    });
    const baseUrl = `http://127.0.0.1:${port}/`;
    await waitFor('the Jupyter server /api/status', async () => {
      const r = await fetch(`${baseUrl}api/status?token=${token}`);
      return r.ok;
    });
    const serverSettings = ServerConnection.makeSettings({
      baseUrl,
      wsUrl: `ws://127.0.0.1:${port}/`,
      token,
      appendToken: true,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      fetch,
      Request,
      Headers
    });
    manager = new KernelManager({ serverSettings });
    await manager.ready;
    kernel = await manager.startNew({ name: 'python3' });
    await kernel.info;
    connector = new KernelConnector({
      sessionContext: sessionContextFor(kernel),
      autoLoad: () => true,
      cacheDir: () => ''
    });
    connector.eventReceived.connect((_, ev) => events.push(ev));
  });

  afterAll(async () => {
    connector?.dispose();
    try {
      await kernel?.shutdown();
    } catch {
      // already gone
    }
    kernel?.dispose();
    manager?.dispose();
    const t0 = Date.now();
    if (server?.pid) {
      const pid = server.pid;
      process.kill(pid, 'SIGTERM');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        server.then(() => true),
        new Promise<boolean>(r => {
          timer = setTimeout(() => r(false), 10_000);
        })
      ]);
      clearTimeout(timer);
      if (!exited) {
        process.kill(pid, 'SIGKILL');
        await server;
      }
    }
    if (process.env.CYTHON_PIN_IT_DEBUG) {
      console.log(`server stopped in ${Date.now() - t0} ms\n${serverLog}`);
    }
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  const ready = () =>
    waitFor<IConnectionState>(
      'the connector to be ready',
      () => {
        const s = connector.state;
        if (s.status === 'error' || s.status === 'missing-helper') {
          throw new Error(s.message);
        }
        return s.status === 'ready' ? s : null;
      },
      60_000
    );

  it('activates silently: helper loaded, comm open, hello answered', async () => {
    const state = await ready();
    expect(state.info?.protocol_version).toBe(1);
    expect(state.info?.cache_dir).toBe(path.join(tmp, 'cache'));
    expect(state.info?.python_executable).toContain('.venv/bin/python');
    expect(state.message).toMatch(/^Connected to python3 /);
    // Silent: nothing went into history, the execution count is still 0.
    const probe = await runCell(kernel, '1 + 1');
    expect(probe.reply.status).toBe('ok');
    expect((probe.reply as { execution_count: number }).execution_count).toBe(
      1
    );
  });

  it('builds a %%cython_pin cell: result bundle, names in the namespace', async () => {
    const { reply, builds, text } = await runCell(
      kernel,
      '%%cython_pin demo_square\ndef square(int x):\n    return x * x'
    );
    expect({ status: reply.status, text }).toMatchObject({ status: 'ok' });
    expect(builds).toHaveLength(1);
    const b = builds[0];
    expect(b.status).toBe('ok');
    expect(b.key).toMatch(/^[0-9a-f]{64}$/);
    expect(b.module_name).toBe(`cython_pin_${b.key!.slice(0, 16)}`);
    expect(b.used_cache).toBe(false);
    expect(b.names).toContain('square');
    expect(b.aliases).toEqual(['demo_square']);
    key = b.key!;
    const call = await runCell(kernel, 'print(square(7))');
    expect(call.text.join('')).toContain('49');

    const again = await runCell(
      kernel,
      '%%cython_pin\ndef square(int x):\n    return x * x'
    );
    expect(again.builds[0]).toMatchObject({ key, used_cache: true });
  });

  it('a failed build fails the cell and reports diagnostics in cell lines', async () => {
    const { reply, builds } = await runCell(
      kernel,
      '%%cython_pin\ndef g(int x):\n    return x + undefined_name'
    );
    expect(reply.status).toBe('error');
    expect(builds).toHaveLength(1);
    expect(builds[0].status).toBe('error');
    const d = builds[0].diagnostics.find(x => x.severity === 'error');
    expect(d).toMatchObject({ line: 3, file: null });
    expect(d?.message).toMatch(/undefined_name/);
  });

  it('pin → list_pins → rename_pin → unpin over the comm, with events', async () => {
    expect(key).not.toBe('');
    events.length = 0;
    // The magic already pinned this key as demo_square: a second alias needs overwrite.
    const keyCollision = await connector
      .request('pin', { key, alias: 'sq', overwrite: false })
      .catch((e: CythonPinError) => e);
    expect(keyCollision).toBeInstanceOf(CythonPinError);
    expect((keyCollision as CythonPinError).message).toMatch(
      /already pinned as 'demo_square'/
    );
    await expect(
      connector.request('pin', { key, alias: 'sq', overwrite: true })
    ).resolves.toEqual({ alias: 'sq', key });
    const listed = await connector.request('list_pins', {});
    expect(listed.pins.map(p => p.alias)).toEqual(['demo_square', 'sq']);
    const sq = listed.pins.find(p => p.alias === 'sq')!;
    expect(sq).toMatchObject({ key, in_cache: true });
    if (isUnreadable(sq)) {
      throw new Error(`unreadable pin row: ${sq.error}`);
    }
    expect(sq.size_bytes).toBeGreaterThan(0);
    expect(sq.created_utc).toMatch(/Z$/);
    await waitFor('a pins_changed event', () =>
      events.find(e => e.event === 'pins_changed' && e.data.pins.sq === key)
    );

    const unknownKey = await connector
      .request('pin', { key: 'f'.repeat(64), alias: 'nothing' })
      .catch((e: CythonPinError) => e);
    expect(unknownKey).toMatchObject({ type: 'FileNotFoundError' });

    await expect(
      connector.request('rename_pin', { old: 'sq', new: 'sq2' })
    ).resolves.toEqual({ alias: 'sq2', key });
    const renamed = await connector.request('list_pins', {});
    expect(renamed.pins.map(p => p.alias)).toEqual(['demo_square', 'sq2']);

    const imported = await connector.request('import_pinned', { alias: 'sq2' });
    expect(imported.names).toContain('square');
    // Import binds the build's names (as Insert import's code does), not a module under the alias.
    const use = await runCell(kernel, 'print(square(9))');
    expect(use.text.join('')).toContain('81');

    await expect(connector.request('unpin', { alias: 'sq2' })).resolves.toEqual(
      { alias: 'sq2', removed: true }
    );
    await expect(
      connector.request('unpin', { alias: 'demo_square' })
    ).resolves.toEqual({ alias: 'demo_square', removed: true });
    expect((await connector.request('list_pins', {})).pins).toEqual([]);
  });

  it('gc_cache: dry run previews, the real run removes', async () => {
    const cached = await connector.request('list_cached', {});
    expect(cached.entries.map(e => e.key)).toContain(key);
    const stats = await connector.request('cache_stats', {});
    expect(stats.entries).toBe(cached.entries.length);

    const dry = await connector.request('gc_cache', {
      keep_n_newest: 0,
      max_bytes: null,
      max_age_days: null,
      dry_run: true
    });
    expect(dry.dry_run).toBe(true);
    expect(dry.removed.map(e => e.key)).toContain(key);
    expect(
      (await connector.request('list_cached', {})).entries.map(e => e.key)
    ).toContain(key);

    const real = await connector.request('gc_cache', {
      keep_n_newest: 0,
      dry_run: false
    });
    expect(real.removed.map(e => e.key)).toContain(key);
    expect(real.freed_bytes).toBeGreaterThan(0);
    expect(
      (await connector.request('list_cached', {})).entries.map(e => e.key)
    ).not.toContain(key);
  });

  it('lists a memoryview cell, and the shared utility module it creates as a toolchain entry, every row readable', async () => {
    const { reply } = await runCell(
      kernel,
      '%%cython_pin\ndef total(double[:] a):\n    cdef double s = 0\n' +
        '    cdef Py_ssize_t i\n    for i in range(a.shape[0]):\n        s += a[i]\n    return s'
    );
    expect(reply.status).toBe('ok');
    const { entries, pins, toolchain } = await connector.request(
      'catalogue',
      {}
    );
    expect(entries.filter(isUnreadable)).toEqual([]);
    expect(pins.filter(isUnreadable)).toEqual([]);
    expect(toolchain.filter(isUnreadable)).toEqual([]);
    expect(
      entries.filter(e => !isUnreadable(e) && e.kind === 'shared')
    ).toEqual([]);
    const shared = toolchain.filter(
      t => !isUnreadable(t) && t.kind === 'shared'
    );
    expect(shared).toHaveLength(1);
    expect(shared[0]).toMatchObject({
      present: true,
      toolchain: expect.stringMatching(/^CPython \d+\.\d+\.\d+ · Cython /)
    });
    const dry = await connector.request('gc_cache', {
      max_bytes: 0,
      dry_run: true
    });
    expect(dry.removed.filter(isUnreadable)).toEqual([]);
    expect(dry.removed_toolchain.filter(isUnreadable)).toEqual([]);
  });

  it('applies the cache directory override and respects "load automatically: off"', async () => {
    const override = path.join(tmp, 'override-cache');
    let cacheDir = override;
    let autoLoad = false;
    const second = new KernelConnector({
      sessionContext: sessionContextFor(kernel),
      autoLoad: () => autoLoad,
      cacheDir: () => cacheDir
    });
    try {
      const off = await waitFor('the disabled state', () =>
        second.state.status === 'disabled' ? second.state : null
      );
      expect(off.message).toMatch(/Automatic loading is off/);
      autoLoad = true;
      const on = await second.activate(false);
      expect(on.status).toBe('ready');
      expect(on.info?.cache_dir).toBe(override);
      expect((await second.request('list_pins', {})).cache_dir).toBe(override);
    } finally {
      second.dispose();
      cacheDir = path.join(tmp, 'cache');
      // put the kernel back on the test's cache for the following tests
      await runCell(
        kernel,
        `import os; os.environ['CYTHON_PIN_CACHE_DIR'] = ${JSON.stringify(cacheDir)}`
      );
    }
  });

  it('a request behind a long cell shows as queued; a restart ends it with an error, then reconnects', async () => {
    const long = runCell(kernel, 'import time; time.sleep(30)');
    await waitFor('the kernel to be busy', () => kernel.status === 'busy');
    const pending = connector.request('list_pins', {});
    pending.catch(() => undefined);
    await waitFor('the request to show as queued', () => connector.isQueued);

    await kernel.restart();
    await expect(pending).rejects.toMatchObject({ type: 'KernelRestarted' });
    long.catch(() => undefined);

    const state = await ready();
    expect(state.status).toBe('ready');
    await expect(connector.request('list_pins', {})).resolves.toMatchObject({
      pins: []
    });
  });
});

if (!HELPER_READY) {
  // Make the skip visible in `jest --json` output.
  it.skip('integration: python_helper/cython_pin/kernel.py does not exist yet', () =>
    undefined);
}
