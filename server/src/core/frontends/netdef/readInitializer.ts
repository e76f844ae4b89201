/**
 * Initializer values → InitSemantics, respecting what each name means in the network's
 * framework (shared/spec/netdef.md, shared/reference/init-math.md §a):
 *  - bare `glorot_*` / `he_*` follow the framework: PyTorch's xavier_/kaiming_ functions,
 *    Keras' and Flax's VarianceScaling (truncated normal, corrected);
 *  - a kaiming call WITH arguments is always PyTorch's kaiming_ (the only framework whose
 *    kaiming takes mode/nonlinearity/a), and records which arguments were written;
 *  - `truncated_normal(std=S)` cuts at ±2 absolute in PyTorch, at mean ± 2·std elsewhere;
 *  - `variance_scaling(distribution=normal)` is truncated in Keras, untruncated in JAX.
 */
import type { FanMode, Framework, InitSemantics, WeightLayerKind } from '../../ir';
import { frameworkDefaultInit } from '../../knowledge/defaults';
import { resolveActivation } from '../../knowledge/activations';
import { calculateGain, KAIMING_NONLINEARITIES } from '../../knowledge/initializers';
import { suggest } from '../../util/suggest';
import type { CallArgument, Expr, Name } from './ast';
import { replaceNameFix } from './diagnostics';
import { describeValue } from './numbers';
import { quoteSnippet } from './snippet';
import { listChoices, misspelt, readChoice, readName, readNumber, sourceLabel, type Reader } from './values';

type Family =
  | 'glorot' | 'he' | 'lecun' | 'orthogonal' | 'zeros' | 'ones' | 'constant'
  | 'variance_scaling' | 'normal' | 'truncated_normal' | 'uniform' | 'default';

interface Entry {
  readonly family: Family;
  readonly distribution?: 'normal' | 'uniform';
}

const INITIALIZERS = new Map<string, Entry>([
  ['glorot_uniform', { family: 'glorot', distribution: 'uniform' }],
  ['glorot_normal', { family: 'glorot', distribution: 'normal' }],
  ['xavier_uniform', { family: 'glorot', distribution: 'uniform' }],
  ['xavier_normal', { family: 'glorot', distribution: 'normal' }],
  ['he_uniform', { family: 'he', distribution: 'uniform' }],
  ['he_normal', { family: 'he', distribution: 'normal' }],
  ['kaiming_uniform', { family: 'he', distribution: 'uniform' }],
  ['kaiming_normal', { family: 'he', distribution: 'normal' }],
  ['lecun_uniform', { family: 'lecun', distribution: 'uniform' }],
  ['lecun_normal', { family: 'lecun', distribution: 'normal' }],
  ['orthogonal', { family: 'orthogonal' }],
  ['zeros', { family: 'zeros' }],
  ['ones', { family: 'ones' }],
  ['constant', { family: 'constant' }],
  ['variance_scaling', { family: 'variance_scaling' }],
  ['normal', { family: 'normal' }],
  ['truncated_normal', { family: 'truncated_normal' }],
  ['uniform', { family: 'uniform' }],
  ['default', { family: 'default' }],
]);

/** Every initializer spelling the language accepts, for did-you-mean. */
export const INITIALIZER_SPELLINGS: readonly string[] = [...INITIALIZERS.keys()];

/** The names of the kaiming family (`he_normal(...)` and `kaiming_normal(...)` are the same function). */
export function isKaimingSpelling(name: string): boolean {
  return INITIALIZERS.get(name.toLowerCase())?.family === 'he';
}

interface Params {
  /** Accepted positionally, in the frameworks' order, or by keyword. */
  readonly positional: readonly string[];
  /** Accepted by keyword only (where the frameworks disagree on the positional order). */
  readonly keywordOnly: readonly string[];
  /** Framework spellings of the same argument. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly example: string;
}

function params(positional: readonly string[], keywordOnly: readonly string[], example: string, aliases: Record<string, string> = {}): Params {
  return { positional, keywordOnly, aliases, example };
}

const PARAMS: Readonly<Record<Family, Params>> = {
  glorot: params(['gain'], [], 'xavier_uniform(gain=1.0)'),
  // torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu').
  he: params(['a', 'mode', 'nonlinearity'], [], 'kaiming_normal(mode=fan_in, nonlinearity=relu)'),
  lecun: params([], [], 'lecun_normal'),
  orthogonal: params(['gain'], [], 'orthogonal(gain=1.0)'),
  zeros: params([], [], 'zeros'),
  ones: params([], [], 'ones'),
  constant: params(['value'], [], 'constant(0.1)'),
  variance_scaling: params(['scale', 'mode', 'distribution'], [], 'variance_scaling(scale=2, mode=fan_in, distribution=truncated_normal)'),
  // PyTorch normal_(mean, std) and Keras RandomNormal(mean, stddev) put mean first, the
  // spec writes std first: keywords only, so `normal(0, 0.02)` cannot be misread.
  normal: params([], ['std', 'mean'], 'normal(std=0.02)', { stddev: 'std' }),
  truncated_normal: params([], ['std', 'mean'], 'truncated_normal(std=0.02)', { stddev: 'std' }),
  uniform: params(['low', 'high'], ['limit'], 'uniform(limit=0.05) or uniform(-0.05, 0.05)', { minval: 'low', maxval: 'high' }),
  default: params([], [], 'default'),
};

export interface InitReading {
  /** Undefined when the initializer could not be read (already reported). */
  readonly semantics: InitSemantics | undefined;
  /** What was written, for hover and messages (`default` shows the framework default instead). */
  readonly label: string;
  /** `default`: the framework default, chosen on purpose. */
  readonly acceptedDefault: boolean;
  /** Kaiming-family initializers: the spelling used and the written `mode=` (fixes keep both). */
  readonly kaiming?: { readonly callee: string; readonly modeText: string | undefined };
}

export function readInitializer(expr: Expr, reader: Reader, framework: Framework, kind: WeightLayerKind): InitReading {
  const label = sourceLabel(expr, reader.source);
  const unreadable: InitReading = { semantics: undefined, label, acceptedDefault: false };

  let callee: Name | undefined;
  let args: readonly CallArgument[] = [];
  if (expr.kind === 'call') {
    callee = expr.callee;
    args = expr.args;
  } else if (expr.kind === 'name' || expr.kind === 'string') {
    callee = readName(expr, reader, 'an initializer name such as he_normal');
  } else {
    const hint = expr.kind === 'number' || expr.kind === 'unary' ? `; for every weight equal to a value write constant(${sourceLabel(expr, reader.source)})` : '';
    reader.diags.syntax(expr.span, () => `expected an initializer such as he_normal, got ${describeValue(expr, reader.source)}${hint}`);
  }
  if (!callee) return unreadable;
  const named = callee;

  const entry = INITIALIZERS.get(named.lower);
  if (!entry) {
    reader.diags.unknownName(named.span, () => {
      const content = misspelt(named, `unknown initializer ${quoteSnippet(named.text)}`, INITIALIZER_SPELLINGS);
      return typeof content === 'string' ? `${content}; expected one of ${listChoices(INITIALIZER_SPELLINGS)}` : content;
    });
    return unreadable;
  }

  const bound = bindArguments(named, args, PARAMS[entry.family], reader);
  if (!bound) return { ...unreadable, ...kaimingInfo(entry, named, undefined, reader) };
  const built = build(entry, named, bound, reader, framework, kind);
  return { ...built, label: built.label ?? label, ...kaimingInfo(entry, named, bound.get('mode'), reader) };
}

function kaimingInfo(entry: Entry, callee: Name, mode: Expr | undefined, reader: Reader): Pick<InitReading, 'kaiming'> {
  if (entry.family !== 'he') return {};
  // Quoted modes (`'fan_out'`, already reported) are kept unquoted so a fix never rewrites a mistake.
  const modeText = !mode ? undefined
    : mode.kind === 'name' ? mode.name.text
      : mode.kind === 'string' ? mode.value
        : reader.source.slice(mode.span.start, mode.span.end);
  return { kaiming: { callee: callee.text, modeText } };
}

/**
 * Python-style binding of call arguments to parameter names. Reports unknown, duplicate
 * and misplaced arguments (IW001) and returns undefined when any was wrong.
 */
function bindArguments(callee: Name, args: readonly CallArgument[], spec: Params, reader: Reader): Map<string, Expr> | undefined {
  const bound = new Map<string, Expr>();
  const all = [...spec.positional, ...spec.keywordOnly];
  let ok = true;
  let sawKeyword = false;
  let positionalIndex = 0;
  for (const arg of args) {
    if (arg.keyword) {
      const keyword = arg.keyword;
      sawKeyword = true;
      const canonical = spec.aliases[keyword.lower] ?? keyword.lower;
      if (!all.includes(canonical)) {
        ok = false;
        const takes = all.length === 0 ? 'it takes no arguments' : `it takes ${listChoices(all)}`;
        reader.diags.syntax(keyword.span, () => misspelt(keyword, `'${callee.text}' has no argument ${quoteSnippet(keyword.text)}; ${takes}`, all));
        continue;
      }
      if (bound.has(canonical)) {
        ok = false;
        reader.diags.syntax(arg.span, `'${canonical}' is given twice`);
        continue;
      }
      bound.set(canonical, arg.value);
      continue;
    }
    if (sawKeyword) {
      ok = false;
      reader.diags.syntax(arg.span, 'positional arguments go before keyword arguments');
      continue;
    }
    const name = spec.positional[positionalIndex++];
    if (name === undefined) {
      ok = false;
      const message = all.length === 0
        ? `'${callee.text}' takes no arguments`
        : spec.positional.length === 0
          ? `write the arguments of '${callee.text}' with their names, as in ${spec.example}`
          : `'${callee.text}' takes at most ${spec.positional.length} positional ${spec.positional.length === 1 ? 'argument' : 'arguments'} (${spec.positional.join(', ')})`;
      reader.diags.syntax(arg.span, message);
      continue;
    }
    bound.set(name, arg.value);
  }
  return ok ? bound : undefined;
}

type Built = { semantics: InitSemantics | undefined; label?: string; acceptedDefault: boolean };

function build(entry: Entry, callee: Name, args: Map<string, Expr>, reader: Reader, framework: Framework, kind: WeightLayerKind): Built {
  let failed = false;
  const number = (name: string, fallback: number | undefined, valid?: (v: number) => string | undefined): number | undefined => {
    const expr = args.get(name);
    if (!expr) return fallback;
    const value = readNumber(expr, reader, `${name} of ${callee.text}`);
    if (value === undefined) {
      failed = true;
      return undefined;
    }
    const problem = valid?.(value);
    if (problem) {
      reader.diags.syntax(expr.span, `${name} of ${callee.text} ${problem}`);
      failed = true;
      return undefined;
    }
    return value;
  };
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const expr = args.get(name);
    if (!expr) return fallback;
    const value = readChoice(expr, reader, `${name} of ${callee.text}`, choices);
    if (value === undefined) failed = true;
    return value ?? fallback;
  };
  const positive = (v: number) => (v > 0 ? undefined : 'must be greater than 0');
  const nonNegative = (v: number) => (v >= 0 ? undefined : 'must not be negative');
  const normalOrUniform = entry.distribution ?? 'normal';
  const kerasDistribution = normalOrUniform === 'uniform' ? 'uniform' : 'truncated_normal';
  const withArgs = args.size > 0;
  const result = (semantics: InitSemantics): Built => ({ semantics: failed ? undefined : semantics, acceptedDefault: false });

  switch (entry.family) {
    case 'glorot': {
      if (!withArgs) {
        return result(framework === 'pytorch'
          ? { kind: 'xavier', gain: 1, distribution: normalOrUniform }
          : { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: kerasDistribution });
      }
      const gain = number('gain', 1, nonNegative) ?? 1;
      return result({ kind: 'xavier', gain, distribution: normalOrUniform });
    }
    case 'he': {
      if (!withArgs) {
        return result(framework === 'pytorch'
          ? { kind: 'kaiming', mode: 'fan_in', nonlinearity: 'leaky_relu', a: 0, distribution: normalOrUniform, written: { nonlinearity: false, a: false } }
          : { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: kerasDistribution });
      }
      const a = number('a', 0) ?? 0;
      const mode = choice('mode', ['fan_in', 'fan_out'] as const, 'fan_in');
      const nonlinearity = readNonlinearity(args.get('nonlinearity'), reader, a);
      if (nonlinearity === undefined) failed = true;
      return result({
        kind: 'kaiming', mode, nonlinearity: nonlinearity ?? 'leaky_relu', a, distribution: normalOrUniform,
        written: { nonlinearity: args.has('nonlinearity'), a: args.has('a') },
      });
    }
    case 'lecun':
      return result({ kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: kerasDistribution });
    case 'orthogonal':
      return result({ kind: 'orthogonal', gain: number('gain', 1, nonNegative) ?? 1 });
    case 'zeros':
      return result({ kind: 'constant', value: 0 });
    case 'ones':
      return result({ kind: 'constant', value: 1 });
    case 'constant': {
      if (!args.has('value')) {
        reader.diags.syntax(callee.span, 'constant needs its value, as in constant(0.1)');
        failed = true;
      }
      return result({ kind: 'constant', value: number('value', 0) ?? 0 });
    }
    case 'variance_scaling': {
      const scale = number('scale', 1, positive) ?? 1;
      const mode = choice<FanMode>('mode', ['fan_in', 'fan_out', 'fan_avg'], 'fan_in');
      const written = choice('distribution', ['truncated_normal', 'untruncated_normal', 'uniform', 'normal'] as const, 'truncated_normal');
      // Keras maps 'normal' to truncated_normal; JAX's variance_scaling draws it untruncated.
      const distribution = written === 'normal' ? (framework === 'flax' ? 'untruncated_normal' : 'truncated_normal') : written;
      return result({ kind: 'variance_scaling', scale, mode, distribution });
    }
    case 'normal':
    case 'truncated_normal': {
      if (!args.has('std')) {
        // The frameworks' defaults differ by orders of magnitude, so the language asks.
        reader.diags.syntax(callee.span, `${callee.text} needs std=S, as in ${PARAMS[entry.family].example} (the frameworks' defaults differ: PyTorch 1, Keras 0.05, Flax 0.01)`);
        failed = true;
      }
      const std = number('std', 1, nonNegative) ?? 1;
      const mean = number('mean', 0) ?? 0;
      if (entry.family === 'normal') return result({ kind: 'normal', mean, std });
      // torch.nn.init.trunc_normal_ cuts at a=-2, b=2 absolute; Keras and JAX at mean ± 2·std.
      const [low, high] = framework === 'pytorch' ? [-2, 2] : [mean - 2 * std, mean + 2 * std];
      return result({ kind: 'truncated_normal', mean, std, low, high });
    }
    case 'uniform': {
      if (args.has('limit')) {
        if (args.has('low') || args.has('high')) {
          reader.diags.syntax(callee.span, 'give uniform either limit=L or low and high, not both');
          failed = true;
        }
        const limit = number('limit', 1, positive) ?? 1;
        return result({ kind: 'uniform', low: -limit, high: limit });
      }
      if (!args.has('low') || !args.has('high')) {
        reader.diags.syntax(callee.span, 'uniform needs limit=L or both bounds, as in uniform(limit=0.05) or uniform(-0.05, 0.05)');
        failed = true;
      }
      const low = number('low', -1) ?? -1;
      const high = number('high', 1) ?? 1;
      if (!failed && !(low < high)) {
        reader.diags.syntax(callee.span, `uniform needs low < high, got low=${low} and high=${high}`);
        failed = true;
      }
      return result({ kind: 'uniform', low, high });
    }
    case 'default': {
      const fallback = frameworkDefaultInit(framework, kind);
      return { semantics: fallback.semantics, label: fallback.label, acceptedDefault: true };
    }
  }
}

/** The `nonlinearity=` of a kaiming call; names PyTorch's calculate_gain rejects are IW002. */
function readNonlinearity(expr: Expr | undefined, reader: Reader, a: number): string | undefined {
  if (!expr) return 'leaky_relu';
  const name = readName(expr, reader, 'a nonlinearity name such as relu');
  if (!name) return undefined;
  if (calculateGain(name.lower, a) !== undefined) return name.lower;
  reader.diags.unknownName(name.span, () => {
    const accepted = `it accepts ${listChoices(KAIMING_NONLINEARITIES)}`;
    // 'gelu' is a real activation that PyTorch has no gain for: suggesting the nearest
    // spelling ('selu') would be wrong advice, so only misspellings get a suggestion.
    if (resolveActivation(name.lower)) {
      return `PyTorch's calculate_gain has no gain for ${quoteSnippet(name.text)} (it raises ValueError); ${accepted}`;
    }
    const suggestion = suggest(name.text, KAIMING_NONLINEARITIES);
    const base = `unknown nonlinearity ${quoteSnippet(name.text)} for PyTorch's calculate_gain`;
    if (suggestion === undefined) return `${base}; ${accepted}`;
    return { message: `${base} — did you mean '${suggestion}'? (${accepted})`, fixes: [replaceNameFix(name.span, suggestion)] };
  });
  return undefined;
}
