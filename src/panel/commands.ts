import { InputDialog } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { pinIcon } from '../icons';
import { promptAndPin } from '../pinning/promptAndPin';
import { CommandIDs, IConnectorRegistry } from '../tokens';
import type { IPanelHost } from './host';
import type { PinManagerModel } from './model';

export interface IPanelCommandsOptions {
  commands: CommandRegistry;
  tracker: INotebookTracker;
  registry: IConnectorRegistry;
  model: PinManagerModel;
  host: IPanelHost;
  /** Brings the panel to the front. */
  open: () => void;
  trans: TranslationBundle;
}

/** Ask which pin to import: the personal pins, then the team pins marked "(team)"; a typed alias is personal. */
async function chooseAlias(
  model: PinManagerModel,
  trans: TranslationBundle
): Promise<{ alias: string; team: boolean } | null> {
  const aliases = (rows: { alias: string | null }[]) =>
    rows.map(p => p.alias).filter((a): a is string => a !== null); // null: a row the panel could not read
  const team = new Map(
    aliases(model.team.pins).map(a => [trans.__('%1 (team)', a), a])
  );
  const r = await InputDialog.getItem({
    title: trans.__('Insert import'),
    label: trans.__('Alias'),
    items: [...aliases(model.pins), ...team.keys()],
    editable: true
  });
  const value = r.button.accept ? (r.value ?? '').trim() : '';
  if (!value) {
    return null;
  }
  const teamAlias = team.get(value);
  return teamAlias
    ? { alias: teamAlias, team: true }
    : { alias: value, team: false };
}

/** Open/refresh the pin manager, pin a key, insert an import cell. */
export function addPanelCommands(options: IPanelCommandsOptions): string[] {
  const { commands, tracker, registry, model, host, open, trans } = options;
  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Open Cython Pin Manager'),
    icon: pinIcon,
    execute: open
  });
  commands.addCommand(CommandIDs.refreshPanel, {
    label: trans.__('Refresh Cython Pin Manager'),
    execute: () => model.refresh()
  });
  commands.addCommand(CommandIDs.pinKey, {
    label: trans.__('Pin Cython build key…'),
    execute: async args => {
      let key = typeof args.key === 'string' ? args.key : '';
      if (!key) {
        const r = await InputDialog.getText({
          title: trans.__('Pin build'),
          label: trans.__('Build key')
        });
        key = r.button.accept ? (r.value ?? '').trim() : '';
      }
      if (key) {
        await promptAndPin(registry, tracker, key, null, trans);
      }
    }
  });
  commands.addCommand(CommandIDs.insertImport, {
    label: args =>
      typeof args.alias === 'string'
        ? args.team === true
          ? trans.__('Insert import_pinned("%1", team=True)', args.alias)
          : trans.__('Insert import_pinned("%1")', args.alias)
        : trans.__('Insert import_pinned(…)'),
    execute: async args => {
      let alias = typeof args.alias === 'string' ? args.alias : '';
      let team = args.team === true;
      if (!alias) {
        const choice = await chooseAlias(model, trans);
        alias = choice?.alias ?? '';
        team = choice?.team ?? false;
      }
      if (alias) {
        host.insertImport(alias, team);
      }
    }
  });
  return [
    CommandIDs.openPanel,
    CommandIDs.refreshPanel,
    CommandIDs.pinKey,
    CommandIDs.insertImport
  ];
}
