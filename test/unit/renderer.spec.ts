import { MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import { BUILD_MIME_TYPE, IBuildResult, IDiagnostic } from '../../src/protocol';
import {
  formatDiagnostic,
  IBuildResultActions,
  renderBuildResult
} from '../../src/renderer/view';
import { MIN_LEVEL, scoreLevel } from '../../src/annotation/view';
import { Signal } from '@lumino/signaling';
import { createRendererFactory, PinsChange } from '../../src/renderer/widget';
import { flush } from './helpers/fakeHelper';
import { buildResult, vector } from './helpers/vectors';

function fakeActions(pinAlias: string | null = 'square') {
  const calls = {
    copied: [] as string[],
    pinned: [] as string[],
    goto: [] as IDiagnostic[]
  };
  const actions: IBuildResultActions = {
    copyKey: key => calls.copied.push(key),
    pinAs: r => {
      calls.pinned.push(r.key ?? '');
      return Promise.resolve(pinAlias);
    },
    gotoDiagnostic: d => calls.goto.push(d),
    showAnnotation: () => true
  };
  return { actions, calls };
}

type Renderer = Widget & { renderModel: (m: MimeModel) => Promise<void> };

/** A renderer made by the factory, with `data` rendered. */
async function rendered(
  data: unknown,
  actions: IBuildResultActions,
  pinsChanged: Signal<object, PinsChange> | null = null
): Promise<Renderer> {
  const renderer = createRendererFactory(
    actions,
    undefined,
    pinsChanged
  ).createRenderer({
    mimeType: BUILD_MIME_TYPE,
    sanitizer: { sanitize: (s: string) => s },
    resolver: null,
    linkHandler: null,
    latexTypesetter: null
  }) as Renderer;
  await renderer.renderModel(
    new MimeModel({ data: { [BUILD_MIME_TYPE]: data as never } })
  );
  return renderer;
}

function text(root: HTMLElement, selector: string): string | null {
  return root.querySelector(selector)?.textContent ?? null;
}

describe('build result renderer', () => {
  it('says a cache hit was built ahead, and how long ago', () => {
    const { actions } = fakeActions();
    const r = {
      ...buildResult('build result ok'),
      built_ahead_utc: '2026-11-25T12:00:00Z'
    };
    const at = (iso: string) =>
      renderBuildResult(r, actions, undefined, Date.parse(iso));
    const badge = (root: HTMLElement) =>
      root.querySelector('.jp-CythonPin-builtAhead') as HTMLElement;
    const root = at('2026-11-25T12:00:04.5Z');
    expect(badge(root).textContent).toBe('built ahead 4 s ago');
    expect(badge(root).title).toContain('2026-11-25 12:00 UTC');
    // Beside "from cache", in the header.
    expect(
      badge(root).parentElement?.querySelector('.jp-CythonPin-fromCache')
    ).not.toBeNull();
    expect(badge(at('2026-11-25T12:07:10Z')).textContent).toBe(
      'built ahead 7 min ago'
    );
    expect(badge(at('2026-11-25T15:00:00Z')).textContent).toBe(
      'built ahead 3 h ago'
    );
    expect(badge(at('2026-11-29T12:00:00Z')).textContent).toBe(
      'built ahead 4 days ago'
    );
    // A clock behind the kernel's never says a negative time.
    expect(badge(at('2026-11-25T11:59:00Z')).textContent).toBe(
      'built ahead 0 s ago'
    );
    expect(
      renderBuildResult(buildResult('build result ok'), actions).querySelector(
        '.jp-CythonPin-builtAhead'
      )
    ).toBeNull();
  });

  it('shows a successful build from the cache', () => {
    const { actions, calls } = fakeActions();
    const r = buildResult('build result ok');
    const root = renderBuildResult(r, actions);
    document.body.appendChild(root);
    expect(root.classList).toContain('jp-CythonPin-result');
    expect(root.dataset.status).toBe('ok');
    expect(text(root, '.jp-CythonPin-status')).toBe('Loaded from cache');
    expect(text(root, '.jp-CythonPin-moduleName')).toBe(
      'cython_pin_c71820fcbdd3d3be'
    );
    expect(text(root, '.jp-CythonPin-fromCache')).toBe('from cache');
    expect(text(root, '.jp-CythonPin-profile')).toBe('fast-debug');
    const key = root.querySelector('.jp-CythonPin-key') as HTMLElement;
    expect(key.textContent).toBe('c71820fcbdd3');
    expect(key.title).toBe(r.key);
    // Phases under half a millisecond are left out.
    expect(text(root, '.jp-CythonPin-timings')).toBe(
      'Time2 ms total (load 1 ms)'
    );
    expect(
      [...root.querySelectorAll('.jp-CythonPin-alias')].map(e => e.textContent)
    ).toEqual(['demo_square']);
    expect(text(root, '.jp-CythonPin-names')).toBe('Namesf');
    expect(root.querySelector('.jp-CythonPin-diagnostic')).toBeNull();
    expect(root.querySelector('.jp-CythonPin-error')).toBeNull();

    (root.querySelector('.jp-CythonPin-copyKey') as HTMLElement).click();
    expect(calls.copied).toEqual([r.key]);
  });

  it('says a build came from the team cache and who signed it', () => {
    const remote: IBuildResult = {
      ...buildResult('build result ok'),
      used_cache: true,
      origin: 'remote',
      signer: 'SHA256:abc ci@team'
    };
    const root = renderBuildResult(remote, fakeActions().actions);
    const badge = root.querySelector('.jp-CythonPin-fromCache') as HTMLElement;
    expect(badge.textContent).toBe('from team cache');
    expect(badge.title).toContain('SHA256:abc ci@team');
  });

  it('shows a fresh build without the from-cache badge', () => {
    const { actions } = fakeActions();
    const fresh: IBuildResult = {
      ...buildResult('build result ok'),
      used_cache: false,
      reused_module: true,
      module_code_skipped: true
    };
    const root = renderBuildResult(fresh, actions);
    expect(root.querySelector('.jp-CythonPin-fromCache')).toBeNull();
    expect(text(root, '.jp-CythonPin-reused')).toMatch(
      /module-level statements did not run again/
    );
  });

  it('says nothing about reuse when the module only defines names', () => {
    const { actions } = fakeActions();
    const reused: IBuildResult = {
      ...buildResult('build result ok'),
      reused_module: true,
      module_code_skipped: false
    };
    const root = renderBuildResult(reused, actions);
    expect(root.querySelector('.jp-CythonPin-reused')).toBeNull();
  });

  it('"Pin as…" and a rename in the panel update the aliases by one rule: pins_changed', async () => {
    const { actions, calls } = fakeActions('square');
    const r = buildResult('build result ok');
    const key = r.key as string;
    const pinsChanged = new Signal<object, PinsChange>({});
    // The helper's answer to a pin: every pin of that cache.
    actions.pinAs = result => {
      calls.pinned.push(result.key ?? '');
      pinsChanged.emit({
        cache_dir: r.cache_dir,
        pins: { demo_square: key, other: 'f'.repeat(64), square: key }
      });
      return Promise.resolve('square');
    };
    const renderer = await rendered(
      vector('build result ok'),
      actions,
      pinsChanged
    );
    const aliases = () =>
      [...renderer.node.querySelectorAll('.jp-CythonPin-alias')].map(
        e => e.textContent
      );
    expect(aliases()).toEqual(['demo_square']);
    const button = renderer.node.querySelector(
      '.jp-CythonPin-pinAs'
    ) as HTMLElement;
    expect(button.textContent).toBe('Pin as…');
    button.click();
    await flush();
    expect(calls.pinned).toEqual([key]);
    expect(aliases()).toEqual(['demo_square', 'square']);
    // A rename in the panel (cube3 -> cube_v2): the same event, the same rule.
    pinsChanged.emit({
      cache_dir: r.cache_dir,
      pins: { cube_v2: key, square: key }
    });
    expect(aliases()).toEqual(['cube_v2', 'square']);
    // Another cache's pins say nothing about this result.
    pinsChanged.emit({ cache_dir: '/elsewhere', pins: {} });
    expect(aliases()).toEqual(['cube_v2', 'square']);
    pinsChanged.emit({ cache_dir: r.cache_dir, pins: {} });
    expect(text(renderer.node, '.jp-CythonPin-aliases')).toBe('none');
    renderer.dispose();
    pinsChanged.emit({ cache_dir: r.cache_dir, pins: { late: key } });
  });

  it('names every phase that took time, and "other" so the parts add up', () => {
    const { actions } = fakeActions();
    const r = buildResult('build result of a team pin, every phase timed');
    const root = renderBuildResult(r, actions);
    expect(text(root, '.jp-CythonPin-timings')).toBe(
      'Time5.20 s total (lock wait 320 ms, cythonize 109 ms, compile 409 ms, shared module 4.30 s, load 1 ms, other 61 ms)'
    );
    expect(text(root, '.jp-CythonPin-status')).toBe('Build succeeded');
    // An older helper's result, without the optional phases: the rest is "other".
    const old = renderBuildResult(
      {
        ...r,
        timings: { hash: 0, cythonize: 0.1, compile: 0.2, load: 0, total: 0.5 }
      },
      actions
    );
    expect(text(old, '.jp-CythonPin-timings')).toBe(
      'Time500 ms total (cythonize 100 ms, compile 200 ms, other 200 ms)'
    );
  });

  it('shows a team pin the run made, marked as team, and that it was shared and by whom', () => {
    const { actions } = fakeActions();
    const r = buildResult('build result of a team pin, every phase timed');
    const root = renderBuildResult(r, actions);
    const chips = [...root.querySelectorAll('.jp-CythonPin-alias')];
    expect(chips.map(e => e.textContent)).toEqual(['myalias (team)']);
    expect(chips[0].classList.contains('jp-mod-team')).toBe(true);
    expect(text(root, '.jp-CythonPin-teamShared')).toBe(
      'Team cacheshared: uploaded to the team cache, signed by SHA256:3q2+7w'
    );
    const plain = renderBuildResult(buildResult('build result ok'), actions);
    expect(plain.querySelector('.jp-CythonPin-teamShared')).toBeNull();
  });

  it('lists diagnostics of a failed build as line:col severity message', () => {
    const { actions, calls } = fakeActions();
    const r = buildResult('build result error');
    const root = renderBuildResult(r, actions);
    expect(root.dataset.status).toBe('error');
    expect(text(root, '.jp-CythonPin-status')).toBe('Build failed');
    expect(text(root, '.jp-CythonPin-error')).toBe(
      'BuildError: Cython compilation failed: 1 error (line 3)'
    );
    const items = [...root.querySelectorAll('.jp-CythonPin-diagnostic')];
    expect(items.map(i => i.textContent)).toEqual([
      '3:12 error undeclared name not builtin: y'
    ]);
    expect(root.querySelector('.jp-CythonPin-pinAs')).toBeNull();
    (items[0] as HTMLElement).click();
    expect(calls.goto).toEqual([r.diagnostics[0]]);
  });

  it('does not make diagnostics in other files clickable', () => {
    const { actions, calls } = fakeActions();
    const r: IBuildResult = {
      ...buildResult('build result error'),
      diagnostics: [
        {
          line: 10,
          column: 5,
          severity: 'warning',
          message: 'unused variable',
          source: 'compiler',
          file: 'mod.c'
        }
      ]
    };
    const root = renderBuildResult(r, actions);
    const item = root.querySelector('.jp-CythonPin-diagnostic') as HTMLElement;
    expect(item.textContent).toBe('10:5 warning unused variable (mod.c)');
    item.click();
    expect(calls.goto).toEqual([]);
    expect(formatDiagnostic(r.diagnostics[0])).toBe(item.textContent);
  });

  it('shows the annotation: shaded lines that expand to their C code', () => {
    const { actions } = fakeActions();
    const root = renderBuildResult(
      buildResult('build result annotated'),
      actions
    );
    const annotation = root.querySelector('.jp-CythonPin-annotation')!;
    expect(annotation.hasAttribute('open')).toBe(true);
    const lines = [
      ...root.querySelectorAll<HTMLElement>('.jp-CythonPin-annotLine')
    ];
    expect(lines.map(l => l.querySelector('summary')!.textContent)).toEqual([
      '2def g(x):',
      '3    cdef int y = 1'
    ]);
    expect(
      lines.map(l => l.style.getPropertyValue('--jp-CythonPin-score'))
    ).toEqual(['1.000', '0.000']);
    expect(lines[0].querySelector('.jp-CythonPin-cCode')!.textContent).toBe(
      'static PyObject *__pyx_pw_g(PyObject *self, PyObject *x) {'
    );
    expect(root.querySelector('script')).toBeNull();
  });

  it('renders through the MIME renderer factory and explains bad data', async () => {
    const { actions } = fakeActions();
    const factory = createRendererFactory(actions);
    expect(factory.mimeTypes).toEqual([BUILD_MIME_TYPE]);
    const renderer = await rendered(vector('build result ok'), actions);
    expect(text(renderer.node, '.jp-CythonPin-status')).toBe(
      'Loaded from cache'
    );
    await renderer.renderModel(
      new MimeModel({
        data: { [BUILD_MIME_TYPE]: { version: 1, status: 'maybe' } }
      })
    );
    expect(renderer.node.querySelectorAll('.jp-CythonPin-result')).toHaveLength(
      1
    );
    expect(text(renderer.node, '.jp-CythonPin-result')).toMatch(
      /^Unreadable cython_pin build result \(status: expected one of ok, error\)/
    );
  });
});

describe('annotation shading', () => {
  it('shows any Python interaction, on a logarithmic scale up to the worst line', () => {
    expect(scoreLevel(0, 54)).toBe(0);
    expect(scoreLevel(1, 54)).toBeGreaterThanOrEqual(MIN_LEVEL);
    // 8 of 54 was 0.15 on a linear scale: indistinguishable from pure C.
    expect(scoreLevel(8, 54)).toBeGreaterThan(0.6);
    expect(scoreLevel(54, 54)).toBe(1);
    expect(scoreLevel(3, 54)).toBeLessThan(scoreLevel(8, 54));
  });
});
