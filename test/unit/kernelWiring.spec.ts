import { Notification } from '@jupyterlab/apputils';
import { SettingsModel } from '../../src/config/model';
import { reactivateOnSettingsChange } from '../../src/kernel/followSettings';
import { noticeMissingHelper } from '../../src/kernel/missingHelperNotice';
import { NULL_TRANS } from '../../src/translation';
import { FakeConnector, FakeHelper, registryWith } from './helpers/fakeHelper';

describe('settings changes reload the helper', () => {
  function setup() {
    const settings = new SettingsModel();
    const { registry } = registryWith(new FakeConnector(new FakeHelper()));
    const reactivations: number[] = [];
    registry.reactivateAll = () => reactivations.push(1);
    reactivateOnSettingsChange(registry, settings);
    return { settings, reactivations };
  }

  it('when the cache directory changes or auto-load is switched on', () => {
    const { settings, reactivations } = setup();
    settings.update({ cacheDir: '/tmp/other' });
    expect(reactivations).toHaveLength(1);
    settings.update({ cacheDir: '/tmp/other', autoLoadHelper: false });
    expect(reactivations).toHaveLength(1);
    settings.update({ cacheDir: '/tmp/other', autoLoadHelper: true });
    expect(reactivations).toHaveLength(2);
  });

  it('when the %%cython takeover is switched on or off', () => {
    const { settings, reactivations } = setup();
    settings.update({ takeOverCythonMagic: true });
    expect(reactivations).toHaveLength(1);
    settings.update({ takeOverCythonMagic: true, showAnnotation: false });
    expect(reactivations).toHaveLength(1);
    settings.update({ takeOverCythonMagic: false });
    expect(reactivations).toHaveLength(2);
  });

  it('not for other settings', () => {
    const { settings, reactivations } = setup();
    settings.update({ showAnnotation: false, defaultProfile: 'release' });
    expect(reactivations).toHaveLength(0);
  });
});

describe('missing helper notice', () => {
  it('warns once per kernel with the pip command, and a button that copies it', () => {
    const connector = new FakeConnector(new FakeHelper());
    const { registry } = registryWith(connector);
    noticeMissingHelper(registry, NULL_TRANS);
    const before = Notification.manager.count;
    const pipLine = "'/usr/bin/python3' -m pip install cython-pin";
    connector.setState({ status: 'missing-helper', pipLine, kernelId: 'k9' });
    connector.setState({ status: 'missing-helper', pipLine, kernelId: 'k9' });
    expect(Notification.manager.count).toBe(before + 1);
    const notice = Notification.manager.notifications[0];
    expect(notice.type).toBe('warning');
    expect(notice.message).toBe(
      `Cython Pin helper missing in this kernel. Run: ${pipLine}`
    );
    expect(notice.options.actions?.map(a => a.label)).toEqual([
      'Copy pip command'
    ]);
  });
});
