import { ISessionContext } from '@jupyterlab/apputils';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import { markerText } from '../../src/compile/cellMarker';
import { unavailableReason } from '../../src/compile/availability';
import { interpretActivation } from '../../src/kernel/activation';
import { KernelConnector } from '../../src/kernel/connector';
import { PinManagerModel } from '../../src/panel/model';
import { PinManagerPanel } from '../../src/panel/view';
import { parseMagicLine } from '../../src/magic/parser';
import { renderBuildResult } from '../../src/renderer/view';
import { registryWith } from './helpers/fakeHelper';
import { buildResult } from './helpers/vectors';

/** A bundle that marks every string it translates: «…». */
function markingBundle(): TranslationBundle {
  const base = nullTranslator.load('jupyterlab_cython_pin');
  const marked = Object.create(base) as TranslationBundle;
  marked.__ = (msgid: string, ...args: unknown[]) =>
    `«${base.__(msgid, ...(args as string[]))}»`;
  marked._n = (msgid: string, plural: string, n: number, ...args: unknown[]) =>
    `«${base._n(msgid, plural, n, ...(args as string[]))}»`;
  return marked;
}

const actions = {
  copyKey: () => undefined,
  pinAs: () => Promise.resolve(null),
  gotoDiagnostic: () => undefined,
  showAnnotation: () => true
};

describe('user-facing strings go through the translation bundle', () => {
  const trans = markingBundle();

  it('in the build result view', () => {
    const el = renderBuildResult(
      buildResult('build result ok'),
      actions,
      trans
    );
    expect(el.querySelector('.jp-CythonPin-status')?.textContent).toBe(
      '«Loaded from cache»'
    );
    expect(el.querySelector('.jp-CythonPin-copyKey')?.textContent).toBe(
      '«Copy key»'
    );
    expect(el.querySelector('.jp-CythonPin-pinAs')?.textContent).toBe(
      '«Pin as…»'
    );
  });

  it('in the pin panel', () => {
    const { registry } = registryWith();
    const model = new PinManagerModel(registry, trans);
    const host = {
      confirm: () => Promise.resolve(false),
      prompt: () => Promise.resolve(null),
      copy: () => undefined,
      insertImport: () => undefined,
      pinKey: () => Promise.resolve(null),
      notify: () => undefined
    };
    const panel = new PinManagerPanel(model, host, trans);
    expect(
      panel.node.querySelector('.jp-CythonPin-panelTitle')?.textContent
    ).toBe('«Cython pins»');
    expect(
      panel.node.querySelector('.jp-CythonPin-connection')?.textContent
    ).toBe('«No notebook selected: open a notebook with a Python kernel.»');
    panel.dispose();
  });

  it('in the cell marker, the compile command and the connection messages', () => {
    expect(markerText(parseMagicLine('%%cython_pin sq')!, 'ok', trans)).toBe(
      '%%cython_pin · sq · «built»'
    );
    expect(unavailableReason(null, trans)).toBe('«Open a notebook first.»');
    expect(interpretActivation(undefined, trans)).toEqual({
      ok: false,
      missing: false,
      message: '«The kernel did not answer.»'
    });
  });

  it('once, not twice, in the connector before any kernel starts', () => {
    const never = new Signal<object, unknown>({});
    const connector = new KernelConnector({
      sessionContext: {
        session: null,
        kernelChanged: never,
        statusChanged: never,
        connectionStatusChanged: never,
        ready: new Promise<void>(() => undefined)
      } as unknown as ISessionContext,
      autoLoad: () => true,
      cacheDir: () => '',
      trans
    });
    expect(connector.state.message).toBe('«No kernel is running.»');
    connector.dispose();
  });
});
