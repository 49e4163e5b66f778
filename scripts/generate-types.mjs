// Writes src/_generated/ from the two hand-written schemas (`npm run generate`; build, watch and jest run it
// first). Never edit the output: change protocol/cython-pin.schema.json or schema/plugin.json instead.
//   src/_generated/protocol.ts: a type per $defs entry of the protocol schema, plus an `as const` value for
//     every constant (`const`: PROTOCOL_VERSION, ...) and every enumeration (`enum`: PROFILES, ...).
//   src/_generated/settings.ts: ICythonPinConfig and DEFAULT_CONFIG from the settings schema.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { format, resolveConfig } from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'src', '_generated');
const banner = source =>
  `/* Generated from ${source} by scripts/generate-types.mjs: do not edit. */`;
const options = source => ({
  bannerComment: banner(source),
  additionalProperties: false,
  unreachableDefinitions: true,
  unknownAny: true,
  style: { singleQuote: true, trailingComma: 'none', arrowParens: 'avoid' }
});

/** ProtocolVersion -> PROTOCOL_VERSION; plural for enumerations (Severity -> SEVERITIES). */
function constName(title, plural) {
  let name = title.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  if (plural) {
    name = /[^AEIOU]Y$/.test(name)
      ? `${name.slice(0, -1)}IES`
      : /(S|X)$/.test(name)
        ? `${name}ES`
        : `${name}S`;
  }
  return name;
}

function literal(value) {
  return JSON.stringify(value).replace(/"/g, "'");
}

function constants(schema) {
  const lines = [];
  for (const def of Object.values(schema.$defs)) {
    if (def.const !== undefined) {
      lines.push(
        `export const ${constName(def.title, false)}: ${def.title} = ${literal(def.const)};`
      );
    } else if (Array.isArray(def.enum)) {
      lines.push(
        `export const ${constName(def.title, true)}: readonly ${def.title}[] = ${literal(def.enum)} as const;`
      );
    }
  }
  return lines.join('\n');
}

async function protocolTypes() {
  const source = 'protocol/cython-pin.schema.json';
  const schema = JSON.parse(readFileSync(join(root, source), 'utf-8'));
  // The generator declares the types reachable from an object root: give it one that refers to every $defs
  // entry (its own interface is an artefact, not exported from src/protocol).
  const defs = Object.keys(schema.$defs);
  const wrapper = {
    title: 'CythonPinDefinitions',
    description: `Every $defs entry of ${source}, by name.`,
    type: 'object',
    properties: Object.fromEntries(
      defs.map(k => [k, { $ref: `#/$defs/${k}` }])
    ),
    required: defs,
    additionalProperties: false,
    $defs: schema.$defs
  };
  const types = await compile(wrapper, wrapper.title, options(source));
  const tidy = types
    .replace(
      /\n \* This interface was referenced by .*\n \* via the `definition` .*/g,
      ''
    )
    .replace(/\n \*\n \*\//g, '\n */')
    .replace(/\/\*\*\n \*\/\n/g, '');
  return `${tidy}\n${constants(schema)}\n`;
}

async function settingsTypes() {
  const source = 'schema/plugin.json';
  const schema = JSON.parse(readFileSync(join(root, source), 'utf-8'));
  const properties = schema.properties ?? {};
  // Without their titles the properties get inline types (`defaultProfile: 'fast-debug' | ...`).
  const untitled = Object.fromEntries(
    Object.entries(properties).map(([k, { title: _title, ...p }]) => [k, p])
  );
  // JupyterLab fills in every default, so the composite settings always have each property that has one.
  const typed = {
    title: 'ICythonPinConfig',
    description: schema.description,
    type: 'object',
    properties: untitled,
    required: Object.keys(properties).filter(k => 'default' in properties[k]),
    additionalProperties: false
  };
  const types = await compile(typed, typed.title, options(source));
  const defaults = Object.fromEntries(
    Object.entries(properties)
      .filter(([, p]) => 'default' in p)
      .map(([k, p]) => [k, p.default])
  );
  const enums = Object.fromEntries(
    Object.entries(properties)
      .filter(([, p]) => Array.isArray(p.enum))
      .map(([k, p]) => [k, p.enum])
  );
  // Numbers outside their schema range fall back to the default, as values of the wrong type do.
  const ranges = Object.fromEntries(
    Object.entries(properties)
      .filter(([, p]) => 'minimum' in p || 'maximum' in p)
      .map(([k, p]) => [k, { minimum: p.minimum, maximum: p.maximum }])
  );
  return [
    types,
    '/** The defaults of schema/plugin.json. */',
    `export const DEFAULT_CONFIG: Readonly<ICythonPinConfig> = ${JSON.stringify(defaults, null, 2)};`,
    '',
    '/** Allowed values of the settings that have an enumeration. */',
    `export const CONFIG_CHOICES: { readonly [K in keyof ICythonPinConfig]?: readonly ICythonPinConfig[K][] } = ${JSON.stringify(enums, null, 2)};`,
    '',
    '/** Allowed range of the numeric settings that have a minimum or maximum. */',
    `export const CONFIG_RANGES: { readonly [K in keyof ICythonPinConfig]?: { readonly minimum?: number; readonly maximum?: number } } = ${JSON.stringify(ranges, null, 2)};`,
    ''
  ].join('\n');
}

async function write(name, text) {
  const file = join(outDir, name);
  const style = await resolveConfig(file);
  writeFileSync(file, await format(text, { ...style, filepath: file }));
}

mkdirSync(outDir, { recursive: true });
await write('protocol.ts', await protocolTypes());
await write('settings.ts', await settingsTypes());
