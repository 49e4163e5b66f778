import { IPanelHost, IPinKeyOptions } from '../../../src/panel/host';

/** A panel host that answers dialogs as told and records what the panel asked of it. */
export function fakeHost(
  answers: { confirm?: boolean; prompt?: string | null } = {}
) {
  const log = {
    confirms: [] as string[],
    prompts: [] as string[],
    copied: [] as string[],
    inserted: [] as string[],
    pinned: [] as string[],
    pinOptions: [] as IPinKeyOptions[],
    notices: [] as string[]
  };
  const host: IPanelHost = {
    confirm: (title, body) => {
      log.confirms.push(body);
      return Promise.resolve(answers.confirm ?? true);
    },
    prompt: (title, label) => {
      log.prompts.push(label);
      return Promise.resolve(answers.prompt ?? null);
    },
    copy: t => log.copied.push(t),
    insertImport: (a, team) => log.inserted.push(team ? `team:${a}` : a),
    pinKey: (k, options = {}) => {
      log.pinned.push(k);
      log.pinOptions.push(options);
      return Promise.resolve(null);
    },
    notify: (kind, m) => log.notices.push(`${kind}: ${m}`)
  };
  return { host, log };
}
