/**
 * End to end, real parts only: `jupyter lab` from .venv with the built wheel installed, ipykernel, Cython,
 * gcc, and Debian's headless chromium. The steps share one notebook and run in order; each asserts what
 * the page shows and saves a screenshot to test-output/e2e/<step>.png.
 */
import {
  BrowserSession,
  Lab,
  NotebookPage,
  putNotebook,
  resetOutput,
  startBrowser,
  startLab,
  stopBrowser,
  stopLab
} from './harness';

let lab: Lab | undefined;
let session: BrowserSession | undefined;
let nb: NotebookPage;

beforeAll(async () => {
  resetOutput();
  try {
    lab = await startLab();
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
}, 60000);

/**
 * One step of the scenario: runs only if the steps before it passed (they build on each other), and saves
 * test-output/e2e/<shot>.png whether it passes or not (<shot>-FAILED.png when it fails).
 */
let broken: string | null = null;
function step(title: string, shot: string, body: () => Promise<void>): void {
  test(title, async () => {
    if (broken) {
      throw new Error(`not run: an earlier step failed (${broken})`);
    }
    try {
      await body();
      await nb.shot(shot);
    } catch (e) {
      broken = title;
      await nb.shot(`${shot}-FAILED`).catch(() => undefined);
      throw e;
    }
  });
}

describe('jupyterlab-cython-pin in a real JupyterLab', () => {
  step('0. the notebook opens with the extension loaded and a Python kernel that runs', 'step0-open', async () => {
    await putNotebook(lab!, 'e2e.ipynb', ['']);
    await nb.open('e2e.ipynb');
    const config = JSON.parse(
      (await nb.page.locator('#jupyter-config-data').textContent({ timeout: 10000 })) ?? '{}'
    );
    const names = (config.federated_extensions ?? []).map((e: { name: string }) => e.name);
    expect(names).toContain('jupyterlab-cython-pin');

    await nb.typeInCell(0, 'import sys, cython_pin\nprint(sys.executable, cython_pin.__name__)');
    await nb.run(0);
    const out = await nb.outputText(0);
    expect(out).toContain('.venv/bin/python');
    expect(out).toContain('cython_pin');
  });
});
