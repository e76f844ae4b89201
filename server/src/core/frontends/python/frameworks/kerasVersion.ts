/**
 * Which rule Keras follows for the fans of a kernel of rank 3 or more that is not a
 * convolution's: MultiHeadAttention's EinsumDense kernels ([d_model, heads, key_dim] for
 * query/key/value, [heads, value_dim, out] for the output). keras-team/keras#22789 (commit
 * 534a1e7314998e91b8c0e29a56c68d5cdd58f5b1, first released in Keras 3.15.0) changed it:
 *
 *  - 'kernel-shape' (Keras 2 / tf.keras up to TensorFlow 2.15, tf-keras, Keras 3.0–3.14):
 *    `compute_fans` treats every kernel of rank > 2 as a convolution, fan_in = shape[-2]·∏shape[:-2],
 *    fan_out = shape[-1]·∏shape[:-2] (keras/src/initializers/random_initializers.py at v3.14.1;
 *    keras/initializers/initializers.py `_compute_fans` at v2.15.0; TF's init_ops_v2 likewise);
 *  - 'einsum-axes' (Keras ≥ 3.15.0): EinsumDense.build hands a VarianceScaling initializer the
 *    kernel axes the einsum equation reads from its input (fan_in) and writes to its output
 *    (fan_out), so the fans are the true ones (d_model, heads·key_dim; heads·value_dim, out).
 *
 * The version comes from the `keras-version` setting, else from the project's pinned
 * requirement (requirements.txt, pyproject.toml `[project] dependencies`), else it is unknown.
 */
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- smol-toml ships ESM types with a CommonJS build (cli/config/toml.ts)
const toml = require('smol-toml') as typeof SmolToml;

export type KerasFanRule = 'kernel-shape' | 'einsum-axes';

/** The first Keras release whose EinsumDense passes the einsum's axes to compute_fans (#22789). */
const EINSUM_FANS_SINCE: readonly number[] = [3, 15, 0];
/** TensorFlow 2.16 is the first to install Keras 3 (its minor version is then Keras's own pin). */
const TF_KERAS3_SINCE: readonly number[] = [2, 16, 0];

/** What decided the rule, or why nothing did. */
export interface KerasFanDecision {
  readonly rule: KerasFanRule | undefined;
  /** `keras-version = "3.15"`, `requirements.txt: keras==3.3.1`; or why it is undetermined. */
  readonly source: string;
}

type Version = readonly number[];

/** "3", "3.15", "3.15.1" → [3, 15, 1]; undefined for anything else (pre-releases included). */
export function parseRelease(text: string): Version | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)*$/.test(trimmed)) return undefined;
  return trimmed.split('.').map(Number);
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The fan rule of one Keras version (a setting: at least major.minor). */
export function fanRuleOfKeras(version: Version): KerasFanRule {
  return compare(version, EINSUM_FANS_SINCE) >= 0 ? 'einsum-axes' : 'kernel-shape';
}

/**
 * The versions a PEP 440 specifier set admits, widened to one interval [low, high) (high
 * inclusive when `highInclusive`): every version it admits lies inside, so a conclusion about
 * the interval holds for the pin. `!=` only removes versions and is ignored. Undefined when a
 * specifier cannot be read (pre-releases, arbitrary equality of a non-release, `@ url`).
 */
interface Interval { low: Version | undefined; high: Version | undefined; highInclusive: boolean }

export function admittedInterval(specifiers: string): Interval | undefined {
  const range: Interval = { low: undefined, high: undefined, highInclusive: false };
  const raise = (v: Version) => {
    if (!range.low || compare(v, range.low) > 0) range.low = v;
  };
  const lower = (v: Version, inclusive: boolean) => {
    if (!range.high || compare(v, range.high) < 0 || (compare(v, range.high) === 0 && !inclusive)) {
      range.high = v;
      range.highInclusive = inclusive;
    }
  };
  const parts = specifiers.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const part of parts) {
    const m = /^(===|==|!=|~=|>=|<=|>|<)\s*([0-9][0-9.]*)(\.\*)?$/.exec(part);
    if (!m) return undefined;
    const [, op, written, wildcard] = m;
    const v = parseRelease(written!);
    if (!v) return undefined;
    if (op === '!=') continue;
    if (wildcard) {
      if (op !== '==') return undefined;
      const next = [...v.slice(0, -1), v[v.length - 1]! + 1];
      raise(v);
      lower(next, false);
      continue;
    }
    switch (op) {
      case '==': case '===': raise(v); lower(v, true); break;
      case '>=': case '>': raise(v); break;
      case '<=': lower(v, true); break;
      case '<': lower(v, false); break;
      case '~=': {
        if (v.length < 2) return undefined;
        const prefix = v.slice(0, -1);
        raise(v);
        lower([...prefix.slice(0, -1), prefix[prefix.length - 1]! + 1], false);
        break;
      }
    }
  }
  return range;
}

/** Every admitted version is below `bound` / at or above it; undefined when the interval straddles it. */
function side(range: Interval, bound: Version): 'below' | 'at-or-above' | undefined {
  if (range.high && (compare(range.high, bound) < 0 || (compare(range.high, bound) === 0 && !range.highInclusive))) return 'below';
  if (range.low && compare(range.low, bound) >= 0) return 'at-or-above';
  return undefined;
}

/** One requirement line (PEP 508): name, specifiers, whether an environment marker conditions it. */
interface Requirement { readonly name: string; readonly specifiers: string; readonly conditional: boolean; readonly text: string }

const KERAS_NAMES: ReadonlySet<string> = new Set(['keras']);
const TF_NAMES: ReadonlySet<string> = new Set(['tensorflow', 'tensorflow-cpu', 'tensorflow-gpu', 'tensorflow-macos', 'tensorflow-intel']);

function readRequirement(line: string): Requirement | undefined {
  const text = line.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim();
  if (text === '' || text.startsWith('-')) return undefined;
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;@]*)(@[^;]*)?(;.*)?$/.exec(text);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase().replace(/[-_.]+/g, '-');
  return { name, specifiers: m[4] ? '@' : m[3]!.trim().replace(/^\((.*)\)$/, '$1'), conditional: m[5] !== undefined, text };
}

/** The Keras and TensorFlow requirements of one file's text (requirements.txt or pyproject.toml). */
export function requirementsOf(fileName: string, text: string): Requirement[] {
  let lines: string[];
  if (fileName === 'pyproject.toml') {
    let doc: unknown;
    try {
      doc = toml.parse(text);
    } catch {
      return [];
    }
    const project = (doc as { project?: { dependencies?: unknown } }).project;
    lines = Array.isArray(project?.dependencies) ? project.dependencies.filter((d): d is string => typeof d === 'string') : [];
  } else {
    lines = text.split(/\r\n|\r|\n/);
  }
  return lines.map(readRequirement).filter((r): r is Requirement => r !== undefined && (KERAS_NAMES.has(r.name) || TF_NAMES.has(r.name)));
}

/**
 * The fan rule the pins of one file determine, or why they do not; undefined when the file
 * pins neither Keras nor TensorFlow. A Keras pin decides (it is the installed `keras`, which
 * TensorFlow ≥ 2.16 also serves as `tf.keras`); without one, TensorFlow below 2.16 brings
 * Keras 2 (its `tf.keras` and the `keras` it requires), and 2.16 or later some Keras 3.
 */
export function decisionOfPins(where: string, requirements: readonly Requirement[]): KerasFanDecision | undefined {
  const keras = requirements.filter((r) => KERAS_NAMES.has(r.name));
  const tf = requirements.filter((r) => TF_NAMES.has(r.name));
  const pinned = keras.length > 0 ? keras : tf;
  if (pinned.length === 0) return undefined;
  const texts = pinned.map((r) => r.text).join(', ');
  const undetermined = (why: string): KerasFanDecision => ({ rule: undefined, source: `${where}: ${texts} ${why}` });
  if (pinned.some((r) => r.conditional)) return undetermined('depends on an environment marker');
  const rules = new Set<KerasFanRule | undefined>();
  for (const r of pinned) {
    const range = admittedInterval(r.specifiers);
    if (!range) return undetermined('is not a version range InitWise reads');
    if (keras.length > 0) {
      const s = side(range, EINSUM_FANS_SINCE);
      rules.add(s === 'below' ? 'kernel-shape' : s === 'at-or-above' ? 'einsum-axes' : undefined);
    } else {
      const s = side(range, TF_KERAS3_SINCE);
      if (s === 'at-or-above') return undetermined('installs Keras 3 without saying which (3.15 changed the fans)');
      rules.add(s === 'below' ? 'kernel-shape' : undefined);
    }
  }
  const rule = rules.size === 1 ? [...rules][0] : undefined;
  if (rule === undefined) return undetermined(keras.length > 0 ? 'admits Keras versions before and from 3.15' : 'admits TensorFlow before and from 2.16');
  return { rule, source: `${where}: ${texts}` };
}

/** The files looked at in each folder, in order; the nearest folder with a pin decides. */
export const PIN_FILES: readonly string[] = ['requirements.txt', 'pyproject.toml'];

/** The `keras-version` setting: "3.15", "2.15.1" (major.minor at least). */
export function decisionOfSetting(setting: string): KerasFanDecision | undefined {
  const v = parseRelease(setting);
  if (!v || v.length < 2) return undefined;
  return { rule: fanRuleOfKeras(v), source: `keras-version = "${setting}"` };
}

/**
 * The nearest pin from the document's folder up to its project root: the first folder whose
 * requirements.txt or pyproject.toml names Keras or TensorFlow decides (both files of that
 * folder must agree). Every file looked at is read through `read`, which records it: the
 * result depends on it (incremental memory, the CLI's cache).
 */
export function decisionOfPinnedFiles(folders: readonly string[], read: (path: string) => string | undefined): KerasFanDecision | undefined {
  for (const folder of folders) {
    const decisions: KerasFanDecision[] = [];
    for (const name of PIN_FILES) {
      const path = folder.endsWith('/') ? `${folder}${name}` : `${folder}/${name}`;
      const text = read(path);
      if (text === undefined) continue;
      const decision = decisionOfPins(name, requirementsOf(name, text));
      if (decision) decisions.push(decision);
    }
    if (decisions.length === 0) continue;
    const rules = new Set(decisions.map((d) => d.rule));
    const rule = rules.size === 1 ? decisions[0]!.rule : undefined;
    return { rule, source: decisions.map((d) => d.source).join('; ') + (rules.size > 1 ? ' (they disagree)' : '') };
  }
  return undefined;
}

/** The fan rule for this analysis: the setting, else the nearest pin, else undetermined with the settings that decide it. */
export function kerasFanDecision(setting: string | undefined, pins: () => KerasFanDecision | undefined): KerasFanDecision {
  const fromSetting = setting === undefined ? undefined : decisionOfSetting(setting);
  if (fromSetting) return fromSetting;
  const pinned = pins();
  if (pinned) return pinned;
  return { rule: undefined, source: 'no keras-version setting and no keras or tensorflow pin in requirements.txt or pyproject.toml' };
}
