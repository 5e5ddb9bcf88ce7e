import { readFile } from 'node:fs/promises';
import { parse as parseYaml, parseDocument } from 'yaml';
import { z } from 'zod';
import { WatchkeeperError } from '../errors.ts';
import { isCredentialKey } from './mask.ts';
import { configSchema, type Config } from './schema.ts';

/** Environment variables of the form WATCHKEEPER_CFG__log__level=debug override `log.level`. */
export const envOverridePrefix = 'WATCHKEEPER_CFG__';

/** Where the configuration comes from, lowest precedence first: file, environment, flags. */
export interface ConfigSources {
  /** Path of the YAML file; none means embedded defaults. */
  file?: string;
  /** Environment to read overrides from. */
  env?: NodeJS.ProcessEnv;
  /** `--set path=value` flags, applied last. */
  sets?: readonly string[];
}

/** Reads, merges and validates the configuration; throws a config_invalid error naming every problem. */
export async function loadConfig(sources: ConfigSources): Promise<Config> {
  let raw: unknown = {};
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = await readFile(sources.file, 'utf8');
    } catch (error) {
      throw new WatchkeeperError(
        'config_invalid',
        `config file ${sources.file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      );
    }
    raw = parseConfigText(text, sources.file);
  }
  const root = isPlainObject(raw) ? raw : {};
  for (const [name, value] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith(envOverridePrefix) || value === undefined) continue;
    const path = name.slice(envOverridePrefix.length).split('__');
    setPath(root, path, overrideValue(path, value), `environment variable ${name}`);
  }
  for (const assignment of sources.sets ?? []) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) {
      throw new WatchkeeperError(
        'config_invalid',
        `--set ${assignment}: expected path=value, e.g. --set log.level=debug`,
      );
    }
    const path = assignment.slice(0, eq).split('.');
    setPath(root, path, overrideValue(path, assignment.slice(eq + 1)), `--set ${assignment}`);
  }
  return validateConfig(raw === null || raw === undefined ? root : raw, sources.file ?? 'embedded defaults');
}

/** Validates an already-parsed document; `origin` names it in error messages. */
export function validateConfig(raw: unknown, origin: string): Config {
  const result = configSchema.safeParse(raw ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map(formatIssue);
  throw new WatchkeeperError(
    'config_invalid',
    `invalid configuration (${origin}):\n${lines.map((l) => `  - ${l}`).join('\n')}`,
  );
}

function parseConfigText(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? ` line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    throw new WatchkeeperError(
      'config_invalid',
      `config file ${file}:${where}: not valid YAML (${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')})`,
    );
  }
  const value: unknown = doc.toJS();
  if (value !== null && value !== undefined && !isPlainObject(value)) {
    throw new WatchkeeperError(
      'config_invalid',
      `config file ${file}: expected a mapping at the top level, found ${describeValue(value)}`,
    );
  }
  return value;
}

/** Formats one schema issue as "path: expected ..., found ..."; the value of a credential field is never shown. */
function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  const credential = issue.path.some((p) => typeof p === 'string' && isCredentialKey(p));
  const shown = credential ? '[masked]' : describeValue('input' in issue ? issue.input : undefined);
  const found = 'input' in issue && issue.input !== undefined ? `, found ${shown}` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${path === '(top level)' ? '' : `${path}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return issue.input === undefined
        ? `${path}: required ${typeName(issue.expected)} is missing`
        : `${path}: expected ${typeName(issue.expected)}${found}`;
    case 'invalid_value':
      return `${path}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${found}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `${path}: expected a string of at least ${String(issue.minimum)} characters${found}`
        : `${path}: expected a value ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}${found}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `${path}: expected a string of at most ${String(issue.maximum)} characters${found}`
        : `${path}: expected a value ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}${found}`;
    case 'invalid_format':
      return `${path}: expected ${issue.message}${found}`;
    default:
      return `${path}: ${issue.message}${found}`;
  }
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    int: 'an integer',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  return JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value of an override: the text itself for a field that takes a string (a password
 * "123456" stays a string, "abc #x" is not cut at "#"), else the text read as a YAML scalar
 * ("9500" a number, "[a, b]" a list).
 */
function overrideValue(path: readonly string[], text: string): unknown {
  if (takesString(configSchema, path)) return text;
  try {
    return parseYaml(text) as unknown;
  } catch {
    return text;
  }
}

/** Whether the field at `path` of a schema accepts a string (through optional, default, unions and records). */
function takesString(schema: z.core.$ZodType, path: readonly string[]): boolean {
  const def = schema._zod.def as unknown as {
    type: string;
    innerType?: z.core.$ZodType;
    shape?: Record<string, z.core.$ZodType>;
    valueType?: z.core.$ZodType;
    options?: z.core.$ZodType[];
    in?: z.core.$ZodType;
  };
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return takesString(def.innerType!, path);
    case 'pipe':
      return takesString(def.in!, path);
    case 'union':
      return def.options!.some((o) => takesString(o, path));
    case 'object': {
      const child = path.length > 0 ? def.shape?.[path[0]!] : undefined;
      return child !== undefined && takesString(child, path.slice(1));
    }
    case 'record':
      return path.length > 0 && takesString(def.valueType!, path.slice(1));
    case 'string':
      return path.length === 0;
    default:
      return false;
  }
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown, origin: string): void {
  if (path.some((p) => p === '')) throw new WatchkeeperError('config_invalid', `${origin}: empty segment in the path`);
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (!isPlainObject(next)) throw new WatchkeeperError('config_invalid', `${origin}: ${key} is not a mapping`);
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
