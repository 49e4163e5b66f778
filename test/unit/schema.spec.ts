import * as fs from 'fs';
import * as path from 'path';
import { CommandIDs } from '../../src/tokens';

const schema = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'schema', 'plugin.json'),
    'utf-8'
  )
);

describe('schema/plugin.json', () => {
  it('declares the Compile shortcut for JupyterLab (shortcut editor, user overrides)', () => {
    expect(schema['jupyter.lab.shortcuts']).toEqual([
      {
        command: CommandIDs.compileCell,
        keys: ['Accel Alt B'],
        selector: '.jp-Notebook'
      }
    ]);
  });

  it('has no custom shortcut setting of its own', () => {
    expect(Object.keys(schema.properties)).not.toContain('shortcut');
  });
});
