import { nullTranslator } from '@jupyterlab/translation';
import { collisionQuestion } from '../../src/pinning/promptAndPin';

const trans = nullTranslator.load('jupyterlab_cython_pin');

describe('pin collisions are told apart by error type', () => {
  it('an alias pointing elsewhere offers Replace', () => {
    expect(
      collisionQuestion({ type: 'AliasCollisionError' }, 'sq', trans)
    ).toEqual({
      title: 'Alias in use',
      body: '"sq" already names another build. Replace it with this one?',
      accept: 'Replace'
    });
  });

  it('a key with another alias offers a second alias', () => {
    expect(
      collisionQuestion({ type: 'KeyCollisionError' }, 'sq', trans)?.accept
    ).toBe('Add alias');
  });

  it('an invalid alias or a corrupt registry is not a collision', () => {
    for (const type of ['ValueError', 'PinRegistryError', 'KernelDied']) {
      expect(collisionQuestion({ type }, 'sq', trans)).toBeNull();
    }
  });
});
