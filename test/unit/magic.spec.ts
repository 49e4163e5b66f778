import { markerText, updateMarker } from '../../src/compile/cellMarker';
import {
  hasCodeToCompile,
  isMagicCell,
  parseMagicLine,
  shellSplit,
  withMagicLine
} from '../../src/magic/parser';
import { readConfig } from '../../src/settings';

describe('magic line parser', () => {
  it('reads a plain %%cython_pin line', () => {
    expect(parseMagicLine('%%cython_pin\ndef f(): pass')).toMatchObject({
      magic: 'cython_pin',
      argString: '',
      alias: null,
      profile: null,
      annotate: false
    });
  });

  it('reads the alias, profile and module name', () => {
    const m = parseMagicLine(
      '%%cython_pin -I /opt/inc square --profile release --name sq_mod --overwrite\ncdef int x'
    );
    expect(m).toMatchObject({
      alias: 'square',
      profile: 'release',
      moduleName: 'sq_mod',
      annotate: false
    });
    expect(m?.args).toEqual([
      '-I',
      '/opt/inc',
      'square',
      '--profile',
      'release',
      '--name',
      'sq_mod',
      '--overwrite'
    ]);
  });

  it('treats --annotate and -a as the annotate profile', () => {
    expect(parseMagicLine('%%cython_pin --annotate')?.profile).toBe('annotate');
    expect(parseMagicLine('%%cython -a')?.annotate).toBe(true);
    expect(parseMagicLine('%%cython_pin --profile=annotate')?.annotate).toBe(
      true
    );
  });

  it('accepts %%cython but only %%cython_pin has an alias', () => {
    expect(parseMagicLine('%%cython -n mymod\n')).toMatchObject({
      magic: 'cython',
      moduleName: 'mymod',
      alias: null
    });
  });

  it('rejects other cells', () => {
    for (const src of [
      'def f(): pass',
      '%%cythonx',
      ' %%cython_pin',
      '# %%cython_pin',
      '%cython_pin',
      '',
      'x = 1\n%%cython_pin'
    ]) {
      expect(isMagicCell(src)).toBe(false);
    }
  });

  it('splits quoted arguments like a shell', () => {
    expect(shellSplit('a "b c" \'d e\' -c=-DFOO')).toEqual([
      'a',
      'b c',
      'd e',
      '-c=-DFOO'
    ]);
  });
});

describe('what Compile runs', () => {
  it('prepends %%cython_pin to a plain cell', () => {
    expect(withMagicLine('def f(x):\n    return x', 'fast-debug')).toBe(
      '%%cython_pin\ndef f(x):\n    return x'
    );
  });

  it('adds --profile for a non-default profile from the settings', () => {
    expect(withMagicLine('cdef int y = 1', 'release')).toBe(
      '%%cython_pin --profile release\ncdef int y = 1'
    );
  });

  it('an empty cell, or one with only the magic line, has nothing to compile', () => {
    for (const src of ['', '  \n', '%%cython_pin', '%%cython_pin sq\n\n  ']) {
      expect(hasCodeToCompile(src)).toBe(false);
    }
    expect(hasCodeToCompile('%%cython_pin\ndef f(): pass')).toBe(true);
    expect(hasCodeToCompile('x = 1')).toBe(true);
  });

  it('keeps an existing magic line and its arguments', () => {
    const src = '%%cython_pin square --profile annotate\ncdef int y = 1';
    expect(withMagicLine(src, 'release')).toBe(src);
    expect(withMagicLine('%%cython -a\nx', 'release')).toBe('%%cython -a\nx');
  });
});

describe('magic cell marker', () => {
  it('shows alias and last build state', () => {
    const host = document.createElement('div');
    const magic = parseMagicLine('%%cython_pin square')!;
    updateMarker(host, magic, 'building');
    const el = host.querySelector('.jp-CythonPin-cellMarker') as HTMLElement;
    expect(el.textContent).toBe('%%cython_pin · square · building…');
    updateMarker(host, magic, 'error');
    expect(host.querySelectorAll('.jp-CythonPin-cellMarker')).toHaveLength(1);
    expect(el.textContent).toBe('%%cython_pin · square · failed');
    expect(el.dataset.phase).toBe('error');
    updateMarker(host, null, 'none');
    expect(host.querySelector('.jp-CythonPin-cellMarker')).toBeNull();
  });

  it('omits the alias when there is none', () => {
    expect(markerText(parseMagicLine('%%cython_pin')!, 'ok')).toBe(
      '%%cython_pin · built'
    );
    expect(markerText(parseMagicLine('%%cython')!, 'none')).toBe(
      '%%cython · not built'
    );
  });
});

describe('settings', () => {
  it('falls back to defaults for missing or invalid values', () => {
    expect(readConfig({})).toEqual({
      defaultProfile: 'fast-debug',
      autoLoadHelper: true,
      cacheDir: '',
      showAnnotation: true,
      takeOverCythonMagic: false,
      buildAhead: true,
      buildAheadDelayMs: 1000,
      liveAnnotation: true
    });
    // The magic line's ALIAS is the pin instruction (the helper pins it, collision rule included): there is
    // no separate auto-pin setting that could re-pin with overwrite.
    expect(readConfig({})).not.toHaveProperty('autoPinFromMagic');
    expect(
      readConfig({
        defaultProfile: 'turbo',
        cacheDir: ' /x ',
        autoLoadHelper: 0
      })
    ).toMatchObject({
      defaultProfile: 'fast-debug',
      cacheDir: '/x',
      autoLoadHelper: true
    });
  });
});
