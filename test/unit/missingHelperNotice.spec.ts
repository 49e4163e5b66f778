import { nullTranslator } from '@jupyterlab/translation';
import { noticeMissingHelper } from '../../src/kernel/missingHelperNotice';
import { FakeConnector, FakeHelper, registryWith } from './helpers/fakeHelper';

const trans = nullTranslator.load('jupyterlab_cython_pin');
const PIP = '"/usr/bin/python3" -m pip install jupyterlab-cython-pin';

describe('missing-helper notice', () => {
  it('warns once per kernel and goes away when the helper is loaded after install and restart', () => {
    const connector = new FakeConnector(new FakeHelper());
    const { registry } = registryWith(connector);
    const log: string[] = [];
    let n = 0;
    noticeMissingHelper(registry, trans, {
      warning: message => {
        log.push(`show ${message}`);
        return `id${++n}`;
      },
      dismiss: id => log.push(`dismiss ${id}`)
    });
    const missing = {
      status: 'missing-helper' as const,
      message: 'missing',
      pipLine: PIP
    };
    connector.setState(missing);
    connector.setState({ status: 'connecting', message: 'restarting' });
    connector.setState(missing); // restarted without installing: no second toast
    expect(log).toEqual([
      `show Cython Pin helper missing in this kernel. Run: ${PIP}`
    ]);
    connector.setState({ status: 'ready', message: 'ready', pipLine: null });
    expect(log[1]).toBe('dismiss id1');
    connector.setState({ status: 'ready', message: 'ready' });
    expect(log).toHaveLength(2);
  });
});
