import type { LabIcon } from '@jupyterlab/ui-components';
import type { VirtualElement } from '../ui/vdom';

/** Dialogs and shell actions the panel needs (JupyterLab ones in the app). */
export interface IPanelHost {
  confirm(title: string, body: string, accept: string): Promise<boolean>;
  prompt(title: string, label: string, value: string): Promise<string | null>;
  copy(text: string): void;
  /** Insert an `import_pinned(alias)` cell; `team`: of the team pin (`team=True`). */
  insertImport(alias: string, team?: boolean): void;
  /**
   * Ask for an alias and pin `key`: the same flow as the result's "Pin as…" (collisions included);
   * `team`: as a team pin, `suggestion`: the alias offered.
   */
  pinKey(key: string, options?: IPinKeyOptions): Promise<string | null>;
  notify(kind: 'success' | 'error' | 'info', message: string): void;
}

export interface IPinKeyOptions {
  team?: boolean;
  suggestion?: string;
}

/** Details hidden when the side panel is narrow (see base.css). */
export const OPTIONAL_COLUMN = 'jp-mod-optional';

/**
 * How a panel button looks: a toolbar button with an icon (its label beside it when the panel has room,
 * else as tooltip and accessible name), and whether it destroys.
 */
export interface IButtonLook {
  icon?: LabIcon;
  danger?: boolean;
}

/** Makes the panel's action buttons (virtual: the view draws them): disabled while not connected, errors
 * notified. */
export type ButtonFactory = (
  cls: string,
  text: string,
  title: string,
  onClick: () => Promise<void> | void,
  look?: IButtonLook
) => VirtualElement;
