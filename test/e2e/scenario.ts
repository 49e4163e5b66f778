/**
 * One end-to-end scenario per test file: a lab and a browser started before its steps and stopped after
 * them, and `step()`, a test that runs only if the steps before it passed (they build on each other) and
 * saves test-output/e2e/<shot>.png whether it passes or not (<shot>-FAILED.png when it fails).
 */
import {
  IBrowserSession,
  ILab,
  IStartLabOptions,
  NotebookPage,
  resetOutput,
  startBrowser,
  startLab,
  stopBrowser,
  stopLab
} from './harness';

export interface IScenario {
  /** The running lab, browser and notebook page (set once the file's beforeAll ran). */
  readonly lab: ILab;
  readonly session: IBrowserSession;
  readonly nb: NotebookPage;
  step(title: string, shot: string, body: () => Promise<void>): void;
}

export interface IScenarioOptions {
  /** The lab's options, asked for in beforeAll (after whatever set-up they need). */
  lab?: () => IStartLabOptions;
  /** Prefix of the screenshots' names. */
  shotPrefix?: string;
  /** Called after the lab and browser are stopped. */
  cleanup?: () => void;
}

export function scenario(options: IScenarioOptions = {}): IScenario {
  let lab: ILab | undefined;
  let session: IBrowserSession | undefined;
  let nb: NotebookPage | undefined;
  let broken: string | null = null;
  const prefix = options.shotPrefix ?? '';

  beforeAll(async () => {
    resetOutput();
    try {
      lab = await startLab(options.lab?.());
      session = await startBrowser();
      nb = new NotebookPage(session.page, lab);
    } catch (e) {
      await stopBrowser(session);
      await stopLab(lab);
      throw e;
    }
  }, 180000);

  afterAll(async () => {
    await stopBrowser(session);
    await stopLab(lab);
    options.cleanup?.();
  }, 60000);

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) {
      throw new Error('the scenario has not started (beforeAll failed?)');
    }
    return value;
  };
  return {
    get lab() {
      return started(lab);
    },
    get session() {
      return started(session);
    },
    get nb() {
      return started(nb);
    },
    step(title, shot, body) {
      test(title, async () => {
        if (broken) {
          throw new Error(`not run: an earlier step failed (${broken})`);
        }
        const page = started(nb);
        try {
          await body();
          await page.shot(`${prefix}${shot}`);
        } catch (e) {
          broken = title;
          await page.shot(`${prefix}${shot}-FAILED`).catch(() => undefined);
          throw e;
        }
      });
    }
  };
}
