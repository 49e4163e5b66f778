import { InputDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { importCode } from '../../src/notebook/importCode';
import { addPanelCommands } from '../../src/panel/commands';
import { CommandIDs } from '../../src/tokens';
import { NULL_TRANS } from '../../src/translation';
import { PinManagerModel } from '../../src/panel/model';
import { PinManagerPanel } from '../../src/panel/view';
import { IRemoteStatus } from '../../src/protocol';
import {
  FakeConnector,
  FakeHelper,
  flush,
  KEY_A,
  KEY_B,
  registryWith
} from './helpers/fakeHelper';
import { fakeHost } from './helpers/fakeHost';

const URL = 's3://ml-team-cache/cython-pin';
const WRITER: IRemoteStatus = {
  configured: true,
  url: URL,
  mode: 'read-write',
  reachable: true,
  trusted_keys: 1,
  can_write: true,
  signing_key_id: 'SHA256:3q2+7w',
  message: null
};
const READER: IRemoteStatus = {
  ...WRITER,
  mode: 'read-only',
  can_write: false,
  signing_key_id: null
};

async function setup(
  remote: IRemoteStatus | null,
  answers: { confirm?: boolean; prompt?: string | null } = {},
  before: (c: FakeConnector) => void = () => undefined
) {
  const helper = new FakeHelper();
  helper.pins.set('square', KEY_A);
  helper.teamPins.set('team_fft', KEY_B);
  helper.teamPins.set('team_sq', KEY_A);
  if (remote) {
    helper.remote = remote;
  }
  const connector = new FakeConnector(helper);
  before(connector);
  const { registry } = registryWith(connector);
  const model = new PinManagerModel(registry);
  const { host, log } = fakeHost(answers);
  const panel = new PinManagerPanel(model, host);
  document.body.appendChild(panel.node);
  model.setTarget({ connector: connector.asConnector(), label: 'demo.ipynb' });
  await flush(10);
  return { helper, connector, model, panel, log, host };
}

const q = (panel: PinManagerPanel, sel: string) =>
  panel.node.querySelector<HTMLElement>(sel);
const teamRows = (panel: PinManagerPanel) =>
  [...panel.node.querySelectorAll<HTMLElement>('.jp-CythonPin-teamRow')].map(
    r => r.dataset.alias
  );
const teamButton = (panel: PinManagerPanel, alias: string, cls: string) =>
  q(panel, `.jp-CythonPin-teamRow[data-alias="${alias}"] ${cls}`);
const labels = (row: Element | null) =>
  [...row!.querySelectorAll('.jp-CythonPin-rowActions button')].map(b =>
    b.getAttribute('aria-label')
  );

describe('team cache in the pin panel', () => {
  it('says in one line when no team cache is configured', async () => {
    const { panel } = await setup(null);
    expect(q(panel, '.jp-CythonPin-team h3')!.textContent).toBe('Team cache');
    expect(q(panel, '.jp-CythonPin-teamNone')!.textContent).toBe(
      'No team cache configured (CYTHON_PIN_REMOTE)'
    );
    expect(q(panel, '.jp-CythonPin-teamTable')).toBeNull();
    expect(q(panel, '.jp-CythonPin-pinTeam')).toBeNull();
  });

  it('shows the remote and the team pins beside the personal ones', async () => {
    const { panel } = await setup(WRITER);
    // Each fact labelled, one per line (a description list), not one run-on line.
    const facts = [...q(panel, '.jp-CythonPin-teamStatus')!.children].map(
      c => `${c.tagName.toLowerCase()}:${c.textContent}`
    );
    expect(facts).toEqual([
      'dt:Store',
      `dd:${URL}`,
      'dt:Mode',
      'dd:read-write',
      'dt:Status',
      'dd:reachable',
      'dt:Trusted keys',
      'dd:1',
      'dt:Signing key id',
      'dd:SHA256:3q2+7w',
      'dt:Team pins',
      'dd:this kernel can change them'
    ]);
    // The cache header counts personal and team pins apart.
    expect(q(panel, '.jp-CythonPin-cacheStats')!.textContent).toMatch(
      /, 1 personal pin, 2 team pins · /
    );
    expect(q(panel, '.jp-CythonPin-teamMessage')).toBeNull();
    expect(teamRows(panel)).toEqual(['team_fft', 'team_sq']);
    const fft = q(panel, '.jp-CythonPin-teamRow[data-alias="team_fft"]')!;
    expect(fft.querySelector('.jp-CythonPin-pinKey')!.textContent).toBe(
      'bbbbbbbbbbbb'
    );
    expect(fft.querySelector('.jp-CythonPin-teamInCache')!.textContent).toBe(
      'in the local cache'
    );
    // the personal list is still there, unchanged
    expect(q(panel, '.jp-CythonPin-pinRow')!.dataset.alias).toBe('square');
    // a cache entry names its team aliases too
    expect(
      q(
        panel,
        `.jp-CythonPin-cacheRow[data-key="${KEY_A}"] .jp-CythonPin-cacheAliases`
      )!.textContent
    ).toBe('square, team_sq (team)');
    expect(
      q(
        panel,
        `.jp-CythonPin-cacheRow[data-key="${KEY_B}"] .jp-CythonPin-cacheAliases`
      )!.textContent
    ).toBe('team_fft (team)');
  });

  it('gives a writer every action, Unpin as the danger one, and Pin to team… on personal and cache rows', async () => {
    const { panel } = await setup(WRITER);
    const row = q(panel, '.jp-CythonPin-teamRow[data-alias="team_sq"]');
    expect(labels(row)).toEqual([
      'Copy key',
      'Insert import',
      'Import',
      'Rename',
      'Unpin'
    ]);
    const danger = [...row!.querySelectorAll('button.jp-mod-danger')];
    expect(danger.map(b => b.getAttribute('aria-label'))).toEqual(['Unpin']);
    expect(labels(q(panel, '.jp-CythonPin-pinRow'))).toContain('Pin to team…');
    expect(labels(q(panel, '.jp-CythonPin-cacheRow'))).toContain(
      'Pin to team…'
    );
  });

  it('keeps team pins read-only for a reader', async () => {
    const { panel } = await setup(READER);
    expect(q(panel, '.jp-CythonPin-teamWrite')!.textContent).toBe(
      'read-only here'
    );
    expect(
      labels(q(panel, '.jp-CythonPin-teamRow[data-alias="team_sq"]'))
    ).toEqual(['Copy key', 'Insert import', 'Import']);
    expect(q(panel, '.jp-CythonPin-pinTeam')).toBeNull();
  });

  it('shows why the team cache is unusable, and no pins, when it does not answer', async () => {
    const message = `Team cache ${URL}: unreachable: no answer within 5 s.`;
    const { panel } = await setup({
      ...READER,
      reachable: false,
      message
    });
    expect(q(panel, '.jp-CythonPin-teamReachable')!.textContent).toBe(
      'unreachable'
    );
    expect(q(panel, '.jp-CythonPin-teamMessage')!.textContent).toBe(message);
    expect(teamRows(panel)).toEqual([]);
    expect(
      q(panel, '.jp-CythonPin-teamTable .jp-CythonPin-empty')!.textContent
    ).toBe('No team pins to show.');
  });

  it('lists personal pins while a slow team cache is still being checked', async () => {
    const { panel, connector } = await setup(WRITER, {}, c =>
      c.holdOps.add('team_catalogue')
    );
    expect(q(panel, '.jp-CythonPin-pinRow')!.dataset.alias).toBe('square');
    expect(q(panel, '.jp-CythonPin-teamChecking')!.textContent).toBe(
      'Checking the team cache…'
    );
    expect(teamRows(panel)).toEqual([]);
    connector.release();
    await flush(10);
    expect(q(panel, '.jp-CythonPin-teamChecking')).toBeNull();
    expect(teamRows(panel)).toEqual(['team_fft', 'team_sq']);
  });

  it('imports a team pin and inserts its import code', async () => {
    const { panel, helper, log } = await setup(READER);
    teamButton(panel, 'team_fft', '.jp-CythonPin-import')!.click();
    teamButton(panel, 'team_fft', '.jp-CythonPin-insertImport')!.click();
    teamButton(panel, 'team_fft', '.jp-CythonPin-copy')!.click();
    await flush(10);
    expect(helper.requests.filter(r => r.op === 'import_pinned')).toEqual([
      { op: 'import_pinned', args: { alias: 'team_fft', team: true } }
    ]);
    expect(log.notices).toContain(
      'success: Imported team pin team_fft (cython_pin_bbbbbbbbbbbbbbbb) into the kernel: f.'
    );
    // The import may have brought the build into the local cache: the personal list is read again too.
    const ops = helper.requests.map(r => r.op);
    expect(ops.slice(ops.indexOf('import_pinned'))).toContain('catalogue');
    expect(log.inserted).toEqual(['team:team_fft']);
    expect(log.copied).toEqual([KEY_B]);
    expect(importCode('team_fft', true)).toBe(
      'from cython_pin import import_pinned\nimport_pinned("team_fft", team=True, into=globals())'
    );
  });

  it('renames a team pin', async () => {
    const { panel, helper } = await setup(WRITER, { prompt: 'fft' });
    teamButton(panel, 'team_fft', '.jp-CythonPin-rename')!.click();
    await flush(10);
    expect([...helper.teamPins.keys()].sort()).toEqual(['fft', 'team_sq']);
    expect(teamRows(panel)).toEqual(['fft', 'team_sq']);
    expect(helper.pins.has('square')).toBe(true);
  });

  it("a team rename onto another team pin's alias says so in the panel's terms", async () => {
    const { panel, helper, log } = await setup(WRITER, { prompt: 'team_sq' });
    teamButton(panel, 'team_fft', '.jp-CythonPin-rename')!.click();
    await flush(10);
    expect(log.notices).toContain(
      'error: "team_sq" is already the alias of another build: unpin that one first, or choose another name.'
    );
    expect([...helper.teamPins.keys()].sort()).toEqual(['team_fft', 'team_sq']);
  });

  it('unpins a team pin only after confirmation', async () => {
    const kept = await setup(WRITER, { confirm: false });
    teamButton(kept.panel, 'team_sq', '.jp-CythonPin-unpin')!.click();
    await flush(10);
    expect(kept.log.confirms[0]).toMatch(
      /^Remove the team alias "team_sq" for everyone/
    );
    expect(kept.helper.teamPins.has('team_sq')).toBe(true);

    const { panel, helper, log } = await setup(WRITER, { confirm: true });
    teamButton(panel, 'team_sq', '.jp-CythonPin-unpin')!.click();
    await flush(10);
    expect(helper.teamPins.has('team_sq')).toBe(false);
    expect(teamRows(panel)).toEqual(['team_fft']);
    expect(log.notices).toContain('success: Unpinned team pin "team_sq".');
  });

  it('says so when the team alias was already gone', async () => {
    const { panel, helper, log } = await setup(WRITER, { confirm: true });
    helper.teamPins.delete('team_sq');
    teamButton(panel, 'team_sq', '.jp-CythonPin-unpin')!.click();
    await flush(10);
    expect(log.notices).toEqual([
      'info: No team pin named "team_sq" (it may have been removed elsewhere); list refreshed.'
    ]);
    expect(teamRows(panel)).toEqual(['team_fft']);
  });

  it('pins a personal pin or a cache entry to the team through the host pin flow', async () => {
    const { panel, log } = await setup(WRITER);
    (
      q(panel, '.jp-CythonPin-pinRow[data-alias="square"]')!.querySelector(
        '.jp-CythonPin-pinTeam'
      ) as HTMLElement
    ).click();
    (
      q(panel, `.jp-CythonPin-cacheRow[data-key="${KEY_B}"]`)!.querySelector(
        '.jp-CythonPin-pinTeam'
      ) as HTMLElement
    ).click();
    await flush(5);
    expect(log.pinned).toEqual([KEY_A, KEY_B]);
    expect(log.pinOptions).toEqual([
      { team: true, suggestion: 'square' },
      { team: true, suggestion: '' }
    ]);
  });

  it('shows a RemoteError from a team action to the user', async () => {
    const { panel, helper, log } = await setup(WRITER, { prompt: 'x' });
    helper.remote = READER; // the kernel lost its write access meanwhile
    teamButton(panel, 'team_fft', '.jp-CythonPin-rename')!.click();
    await flush(10);
    expect(log.notices).toContain('error: Team pins are read-only here.');
    expect(teamRows(panel)).toEqual(['team_fft', 'team_sq']);
    expect(q(panel, '.jp-CythonPin-teamWrite')!.textContent).toBe(
      'read-only here'
    );
  });

  it('re-reads the team pins on pins_changed, not on a new build', async () => {
    const { helper, connector } = await setup(WRITER);
    const teamRequests = () =>
      helper.requests.filter(r => r.op === 'team_catalogue').length;
    const before = teamRequests();
    connector.eventReceived.emit({
      type: 'event',
      event: 'cache_changed',
      data: { cache_dir: helper.cacheDir }
    });
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(teamRequests()).toBe(before);
    // a %%cython_pin ALIAS --team cell in this kernel
    await connector.request('pin', { key: KEY_A, alias: 'new', team: true });
    for (let t = 0; t < 40 && teamRequests() === before; t++) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect(teamRequests()).toBe(before + 1);
  });

  it('filters team pins with the same filter', async () => {
    const { panel } = await setup(READER);
    const input = q(panel, '.jp-CythonPin-filter') as HTMLInputElement;
    input.value = 'fft';
    input.dispatchEvent(new Event('input'));
    expect(teamRows(panel)).toEqual(['team_fft']);
    input.value = 'nothing';
    input.dispatchEvent(new Event('input'));
    expect(
      q(panel, '.jp-CythonPin-teamTable .jp-CythonPin-empty')!.textContent
    ).toBe('No team pins match the filter.');
  });

  it('"Insert import" offers the team pins too, and a team pin\'s code says team=True', async () => {
    const { model, log, host } = await setup(WRITER);
    const commands = new CommandRegistry();
    addPanelCommands({
      commands,
      tracker: {} as never,
      registry: {} as never,
      model,
      host,
      open: () => undefined,
      trans: NULL_TRANS
    });
    const answers = ['team_fft (team)', 'square'];
    const offered: string[][] = [];
    const asked = jest
      .spyOn(InputDialog, 'getItem')
      .mockImplementation(options => {
        offered.push(options.items);
        return Promise.resolve({
          button: { accept: true },
          value: answers.shift()
        } as never);
      });
    try {
      await commands.execute(CommandIDs.insertImport);
      await commands.execute(CommandIDs.insertImport);
      await commands.execute(CommandIDs.insertImport, {
        alias: 'team_sq',
        team: true
      });
    } finally {
      asked.mockRestore();
    }
    expect(offered[0]).toEqual(['square', 'team_fft (team)', 'team_sq (team)']);
    expect(log.inserted).toEqual(['team:team_fft', 'square', 'team:team_sq']);
    expect(
      commands.label(CommandIDs.insertImport, { alias: 'team_sq', team: true })
    ).toBe('Insert import_pinned("team_sq", team=True)');
  });
});
