/**
 * `rnn`, `lstm` and `gru` statements (issue 15; docs/netdef.md "Recurrent layers"): one
 * recurrent weight layer whose input kernel is `init=`, whose recurrent kernel is
 * `recurrent_init=` (judged separately; `identity` / `identity(gain=G)` are accepted there
 * only), with the framework's recurrent defaults (knowledge/recurrentDefaults.ts), the
 * forget-gate bias (`forget_bias=`; Keras's unit_forget_bias sets 1 by default), the
 * sequence length `steps=` and `bidirectional=`.
 */
import type { TextEdit } from '../../findings';
import type {
  ActivationUse, Framework, GateBias, InitUse, RecurrentCellKind, RecurrentFixBuilder, RecurrentKernelInit,
} from '../../ir';
import { weightMean, weightVariance } from '../../knowledge/initializers';
import { DEFAULT_STEPS, FORGET_GATE, gateCount } from '../../knowledge/recurrent';
import { recurrentDefaults } from '../../knowledge/recurrentDefaults';
import type { Expr, OptionAst, Statement } from './ast';
import type { MutableWeightLayer } from './consumers';
import { NetdefFixBuilder } from './fixBuilder';
import { formatNumber } from './numbers';
import { readActivation } from './readActivation';
import { readInitializer } from './readInitializer';
import { describeShape, type Shape } from './shapes';
import { readBoolean, readCount, readNumber, sourceLabel, type Reader } from './values';

/** Sequence lengths beyond this are not simulated step by step (the gradient is long gone). */
export const MAX_STEPS = 10_000;

export interface RecurrentContext {
  readonly reader: Reader;
  readonly framework: Framework;
  readonly input: Shape | undefined;
}

export interface LoweredRecurrent {
  readonly layer: MutableWeightLayer;
  readonly fixes: NetdefFixBuilder;
  readonly output: Shape | undefined;
}

function calleeName(expr: Expr): string | undefined {
  return expr.kind === 'name' ? expr.name.lower : expr.kind === 'call' ? expr.callee.lower : undefined;
}

/** `identity` or `identity(gain=G)` / `identity(G)`: a scaled identity recurrent kernel. */
function readIdentity(expr: Expr, reader: Reader): RecurrentKernelInit | undefined {
  if (calleeName(expr) !== 'identity') return undefined;
  let gain = 1;
  if (expr.kind === 'call') {
    const [arg, extra] = expr.args;
    if (extra) reader.diags.syntax(extra.span, "'identity' takes one argument, the gain, as in identity(gain=1)");
    if (arg && arg.keyword && arg.keyword.lower !== 'gain') {
      reader.diags.syntax(arg.keyword.span, `'identity' has no argument '${arg.keyword.text}'; it takes gain`);
    } else if (arg) {
      gain = readNumber(arg.value, reader, 'the gain') ?? NaN;
    }
  }
  if (!Number.isFinite(gain)) return { kind: 'drawn', init: { semantics: undefined, label: sourceLabel(expr, reader.source), explicit: true, acceptedDefault: false, span: expr.span } };
  return { kind: 'identity', gain, label: gain === 1 ? 'identity' : `identity(gain=${formatNumber(gain)})`, span: expr.span };
}

function readKernel(option: OptionAst | undefined, fallback: { semantics: InitUse['semantics']; label: string }, reader: Reader, framework: Framework): InitUse {
  if (!option) return { semantics: fallback.semantics, label: fallback.label, explicit: false, acceptedDefault: false };
  if (calleeName(option.value) === 'default') {
    if (option.value.kind === 'call' && option.value.args.length > 0) reader.diags.syntax(option.value.span, "'default' takes no arguments");
    return { semantics: fallback.semantics, label: fallback.label, explicit: true, acceptedDefault: true, span: option.value.span };
  }
  const reading = readInitializer(option.value, reader, framework, 'dense');
  return { semantics: reading.semantics, label: reading.label, explicit: true, acceptedDefault: reading.acceptedDefault, span: option.value.span };
}

export function lowerRecurrent(
  statement: Statement, cell: RecurrentCellKind, options: ReadonlyMap<string, OptionAst>, context: RecurrentContext,
  index: number, instance: number,
): LoweredRecurrent {
  const { reader, framework, input } = context;
  const unitsExpr = statement.positionals[0];
  const hidden = unitsExpr ? readCount(unitsExpr, reader, 'the number of units') : undefined;
  let inputSize: number | undefined;
  if (input && input.length !== 1) {
    reader.diags.syntax(statement.keyword!.span, `${cell} reads one feature vector per step, but its input is ${describeShape(input)}: add 'flatten' or a dense layer before it`);
  } else if (input) {
    inputSize = input[0];
  }
  const bidirectionalOption = options.get('bidirectional');
  const bidirectional = bidirectionalOption ? readBoolean(bidirectionalOption.value, reader, 'bidirectional') ?? false : false;
  const stepsOption = options.get('steps');
  let steps = { value: DEFAULT_STEPS, fromCode: false };
  if (stepsOption) {
    const value = readCount(stepsOption.value, reader, 'the number of steps');
    if (value !== undefined && value > MAX_STEPS) {
      reader.diags.syntax(stepsOption.value.span, `steps is at most ${MAX_STEPS}; the simulation walks the sequence step by step`);
    } else if (value !== undefined) {
      steps = { value, fromCode: true };
    }
  }

  const activationOption = options.get('activation');
  let nonlinearity: ActivationUse | 'unknown' = { name: 'tanh', explicit: false };
  if (activationOption) {
    const reading = readActivation(activationOption.value, reader);
    nonlinearity = reading?.use ?? 'unknown';
    if (nonlinearity !== 'unknown' && nonlinearity.name !== 'tanh' && nonlinearity.name !== 'relu') {
      reader.diags.syntax(activationOption.value.span, `an rnn's nonlinearity is tanh or relu (as in PyTorch's nn.RNN), got '${nonlinearity.name}'`);
      nonlinearity = 'unknown';
    }
  }

  const gates = gateCount(cell);
  const defaults = hidden !== undefined ? recurrentDefaults(framework, cell, inputSize ?? 1, hidden) : undefined;
  const unknownInit = { semantics: undefined, label: 'unknown' };
  const init = statement.syntaxError && !options.get('init')
    ? { semantics: undefined, label: 'unknown (the line has a syntax error)', explicit: false, acceptedDefault: false }
    : readKernel(options.get('init'), defaults?.input ?? unknownInit, reader, framework);
  const recurrentOption = options.get('recurrent_init');
  const recurrentInit: RecurrentKernelInit = (recurrentOption && readIdentity(recurrentOption.value, reader))
    ?? { kind: 'drawn', init: readKernel(recurrentOption, defaults?.recurrent ?? unknownInit, reader, framework) };

  const gateBiases = hidden !== undefined && defaults ? readGateBiases(cell, options, hidden, defaults.gateBiases, reader, framework) : undefined;
  const fixes = new NetdefFixBuilder({
    source: reader.source, statement, kind: 'recurrent', initExpr: options.get('init')?.value, init: undefined, activationExpr: undefined,
  });
  const recurrentFixes = statement.syntaxError ? undefined : recurrentFixBuilder(statement, options);
  const width = hidden === undefined ? undefined : hidden * (bidirectional ? 2 : 1);
  const layer: MutableWeightLayer = {
    op: 'layer', kind: 'recurrent', index, span: statement.span, kindSpan: statement.keyword!.span,
    fans: hidden !== undefined && inputSize !== undefined ? { fanIn: inputSize, fanOut: gates * hidden } : undefined,
    frameworkFans: defaults && inputSize !== undefined ? defaults.inputFans : undefined,
    receptiveField: 1, strideProduct: 1,
    // The cell's own nonlinearities are inside it; what its state feeds is resolved like any layer's.
    activation: { name: 'linear', explicit: false }, consumer: { name: 'linear', explicit: false },
    normalizedBeforeActivation: false, init, biasVariance: 0, isLastInBranch: false, repeatInstance: instance, fixes,
    recurrent: {
      cell, hidden: hidden ?? 0, nonlinearity, recurrentInit,
      recurrentFrameworkFans: defaults?.recurrentFans ?? { fanIn: 0, fanOut: 0 },
      gateBiases: statement.syntaxError ? undefined : gateBiases,
      forgetBiasSpan: options.get('forget_bias')?.value.span, steps, bidirectional,
      ...(recurrentFixes ? { fixes: recurrentFixes } : {}),
    },
  };
  return { layer, fixes, output: width === undefined ? undefined : [width] };
}

/** Gate biases: `bias=` on every bias vector (zeros by default, `default` the framework's), then `forget_bias=`. */
function readGateBiases(
  cell: RecurrentCellKind, options: ReadonlyMap<string, OptionAst>, hidden: number, frameworkBiases: readonly GateBias[], reader: Reader, framework: Framework,
): GateBias[] | undefined {
  const useBiasOption = options.get('use_bias');
  const useBias = useBiasOption ? readBoolean(useBiasOption.value, reader, 'use_bias') : true;
  const biasOption = options.get('bias');
  const forgetOption = options.get('forget_bias');
  if (forgetOption && cell !== 'lstm') reader.diags.syntax(forgetOption.key.span, `only an lstm has a forget gate; ${cell} does not take forget_bias`);
  let gate: GateBias = { mean: 0, varianceIh: 0, varianceHh: 0 };
  let biases: GateBias[];
  if (useBias === false) {
    if (biasOption) reader.diags.syntax(biasOption.span, 'bias= has no effect with use_bias=false: remove one of them');
    biases = frameworkBiases.map(() => gate);
  } else if (biasOption && calleeName(biasOption.value) === 'default') {
    biases = [...frameworkBiases];
  } else if (biasOption) {
    const semantics = readInitializer(biasOption.value, reader, framework, 'dense').semantics;
    if (!semantics) return undefined;
    const variance = weightVariance(semantics, { fanIn: hidden, fanOut: hidden });
    const mean = weightMean(semantics);
    if (!Number.isFinite(variance)) return undefined;
    // PyTorch has two bias vectors (b_ih, b_hh) and `bias=` initialises both.
    const two = framework === 'pytorch';
    gate = { mean: two ? 2 * mean : mean, varianceIh: variance, varianceHh: two ? variance : 0 };
    biases = frameworkBiases.map(() => gate);
  } else {
    // The language's default bias is zeros (docs/netdef.md); Keras's unit_forget_bias stays part of its LSTM default.
    biases = frameworkBiases.map((b, i) => (cell === 'lstm' && i === FORGET_GATE && framework === 'keras' ? { mean: b.mean, varianceIh: 0, varianceHh: 0 } : gate));
  }
  if (forgetOption && cell === 'lstm') {
    const value = readNumber(forgetOption.value, reader, 'the forget-gate bias');
    if (value === undefined) return undefined;
    biases[FORGET_GATE] = { mean: value, varianceIh: 0, varianceHh: 0 };
  }
  return biases;
}

function recurrentFixBuilder(statement: Statement, options: ReadonlyMap<string, OptionAst>): RecurrentFixBuilder {
  const append = (option: string): TextEdit => ({ span: { start: statement.span.end, end: statement.span.end }, newText: ` ${option}` });
  const setOption = (key: string, text: string): readonly TextEdit[] => {
    const existing = options.get(key);
    return existing ? [{ span: existing.value.span, newText: text }] : [append(`${key}=${text}`)];
  };
  return {
    setForgetBias: (value) => (Number.isFinite(value) ? setOption('forget_bias', formatNumber(value)) : undefined),
    useOrthogonalRecurrent: () => setOption('recurrent_init', 'orthogonal'),
    useIdentityRecurrent: () => setOption('recurrent_init', 'identity'),
  };
}
