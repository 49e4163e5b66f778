import * as fs from 'fs';
import * as path from 'path';
import { decodeBuildResult, IBuildResult } from '../../../src/protocol';

interface IVector {
  name: string;
  kind: string;
  message: unknown;
}

const file = JSON.parse(
  fs.readFileSync(
    path.join(__dirname, '..', '..', 'protocol', 'vectors.json'),
    'utf-8'
  )
) as { valid: IVector[]; invalid: IVector[] };

export function vector(name: string): unknown {
  const v = file.valid.find(x => x.name === name);
  if (!v) {
    throw new Error(`no vector ${name}`);
  }
  return JSON.parse(JSON.stringify(v.message));
}

export function buildResult(name: string): IBuildResult {
  const d = decodeBuildResult(vector(name));
  if (!d.ok) {
    throw new Error(d.error);
  }
  return d.value;
}
