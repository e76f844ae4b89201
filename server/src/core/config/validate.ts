/**
 * Untrusted configuration (parsed TOML, VS Code settings) in, a typed InitWiseConfig or
 * the first problem out. A problem names the key path so the host can point at the file
 * and line (`pyproject.toml:14: [tool.initwise] select[1]: …`): a typo in a CI gate must
 * fail loudly, never be silently ignored (as Ruff does, exit 2).
 */
import { decisionOfSetting } from '../frontends/python/frameworks/kerasVersion';
import { RULES, ruleByCode } from '../rules/registry';
import type { RuleSeverity } from '../settings';
import { CONFIG_KEYS, SEVERITY_VALUES, SIMULATION_KEYS, SIMULATION_MODES, type InitWiseConfig, type PerFileIgnore, type SimulationMode } from './model';

export interface ConfigProblem {
  /** Key path inside the initwise table, e.g. ['severity', 'IW101'] or ['select', 1]. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Validation = { readonly ok: true; readonly config: InitWiseConfig } | { readonly ok: false; readonly problem: ConfigProblem };

class Invalid extends Error {
  constructor(readonly problem: ConfigProblem) {
    super(problem.message);
  }
}

const fail = (path: readonly (string | number)[], message: string): never => {
  throw new Invalid({ path, message });
};

const SELECTOR = /^IW\d{0,3}$/;

/** `camelCase` spellings accepted from editor settings, mapped to the TOML key. */
const CAMEL_ALIASES: Record<string, string> = { extendSelect: 'extend-select', perFileIgnores: 'per-file-ignores', kerasVersion: 'keras-version' };

export function validateConfig(raw: unknown, options: { readonly camelCase?: boolean } = {}): Validation {
  try {
    return { ok: true, config: readTable(raw, options.camelCase === true) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, problem: error.problem };
    throw error;
  }
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (isTable(value)) return 'a table';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return String(value);
}

function readTable(raw: unknown, camelCase: boolean): InitWiseConfig {
  if (!isTable(raw)) fail([], `expected a table, found ${describe(raw)}`);
  const table = raw as Record<string, unknown>;
  const config: { -readonly [K in keyof InitWiseConfig]: InitWiseConfig[K] } = {};
  for (const [written, value] of Object.entries(table)) {
    const key = camelCase ? (CAMEL_ALIASES[written] ?? written) : written;
    switch (key) {
      case 'select':
        config.select = selectors([written], value);
        break;
      case 'extend-select':
        config.extendSelect = selectors([written], value);
        break;
      case 'ignore':
        config.ignore = selectors([written], value);
        break;
      case 'per-file-ignores':
        config.perFileIgnores = perFileIgnores([written], value);
        break;
      case 'severity':
        config.severity = severities([written], value);
        break;
      case 'simulation':
        config.simulation = simulation([written], value);
        break;
      case 'exclude':
        config.exclude = strings([written], value, 'a glob');
        break;
      case 'keras-version':
        config.kerasVersion = kerasVersion([written], value);
        break;
      default:
        fail([written], `unknown key '${written}' (known keys: ${CONFIG_KEYS.join(', ')})`);
    }
  }
  return config;
}

function strings(path: readonly (string | number)[], value: unknown, what: string): string[] {
  if (!Array.isArray(value)) return fail(path, `expected an array of strings, found ${describe(value)}`);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string' || item.trim() === '') return fail([...path, i], `expected ${what}, found ${describe(item)}`);
    return item.trim();
  });
}

/** A Keras release, major.minor at least ("3.15", "2.15.1"): the minor decides MultiHeadAttention's fans. */
function kerasVersion(path: readonly string[], value: unknown): string {
  if (typeof value !== 'string' || decisionOfSetting(value) === undefined) {
    return fail(path, `expected a Keras version with its minor ("3.15", "2.15.1"), found ${describe(value)}`);
  }
  return value.trim();
}

function selectors(path: readonly (string | number)[], value: unknown): string[] {
  return strings(path, value, 'a rule code or prefix').map((item, i) => {
    const code = item.toUpperCase();
    if (!SELECTOR.test(code)) fail([...path, i], `'${item}' is not a rule code or prefix (like IW101 or IW1)`);
    if (!RULES.some((rule) => rule.meta.code.startsWith(code))) fail([...path, i], `'${item}' matches no rule (see \`initwise rule\`)`);
    return code;
  });
}

function perFileIgnores(path: readonly string[], value: unknown): PerFileIgnore[] {
  if (!isTable(value)) return fail(path, `expected a table of glob = [codes], found ${describe(value)}`);
  return Object.entries(value).map(([pattern, codes]) => {
    if (pattern.trim() === '') fail([...path, pattern], 'expected a glob, found an empty key');
    return { pattern, codes: selectors([...path, pattern], codes) };
  });
}

function severities(path: readonly string[], value: unknown): Record<string, RuleSeverity> {
  if (!isTable(value)) return fail(path, `expected a table of CODE = "severity", found ${describe(value)}`);
  const out: Record<string, RuleSeverity> = {};
  for (const [code, level] of Object.entries(value)) {
    if (!ruleByCode(code)) fail([...path, code], `'${code}' is not a rule code`);
    if (typeof level !== 'string' || !(SEVERITY_VALUES as readonly string[]).includes(level)) {
      fail([...path, code], `expected one of ${SEVERITY_VALUES.join(', ')}, found ${describe(level)}`);
    }
    out[code.toUpperCase()] = level as RuleSeverity;
  }
  return out;
}

function simulation(path: readonly string[], value: unknown): { band?: number; mode?: SimulationMode } {
  if (!isTable(value)) return fail(path, `expected a table (band, mode), found ${describe(value)}`);
  const out: { band?: number; mode?: SimulationMode } = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'band') {
      // The band is a factor either way (spec/rules.md IW201–IW204); 1 or less would flag every network.
      if (typeof item !== 'number' || !Number.isFinite(item) || item <= 1) fail([...path, key], `expected a number greater than 1, found ${describe(item)}`);
      out.band = item as number;
    } else if (key === 'mode') {
      if (typeof item !== 'string' || !(SIMULATION_MODES as readonly string[]).includes(item)) {
        fail([...path, key], `expected one of ${SIMULATION_MODES.join(', ')}, found ${describe(item)}`);
      }
      out.mode = item as SimulationMode;
    } else {
      fail([...path, key], `unknown key '${key}' (known keys: ${SIMULATION_KEYS.join(', ')})`);
    }
  }
  return out;
}
