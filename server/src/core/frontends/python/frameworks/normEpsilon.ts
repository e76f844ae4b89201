/**
 * A normalisation's ε as its constructor or functional call passes it (ir.ts NormOp.epsilon):
 * the keyword, or the position the framework's signature gives it; absent, the class's own
 * default (knowledge/normEpsilon.ts). A value that does not evaluate to a number ≥ 0 is 'unknown'.
 */
import type { Framework, NormOp } from '../../../ir';
import { defaultNormEpsilon, FLOAT32_EPSILON } from '../../../knowledge/normEpsilon';
import { evaluate, isNumber, type Scope } from '../interpreter/values';
import { argument, type CallParts } from '../syntax/syntax';

/** Where ε sits in a signature: its position (−1: keyword only) and keyword; `fixed`: not an ε norm. */
interface Place { readonly index: number; readonly keyword: string }
type Reading = Place | { readonly fixed: number };

const TORCH_EPS: Place = { index: 1, keyword: 'eps' };
const KERAS_EPS: Place = { index: 1, keyword: 'epsilon' };

/**
 * Constructors by their short name. LocalResponseNorm (PyTorch), UnitNormalization (Keras) and
 * F.normalize divide by a norm with no ε under the square root worth the name (k = 1 or 1e-12 on
 * the squared norm): 0 keeps their reading as before.
 */
const CONSTRUCTORS: Readonly<Record<Framework, Readonly<Record<string, Reading>>>> = {
  pytorch: {
    LayerNorm: TORCH_EPS, BatchNorm1d: TORCH_EPS, BatchNorm2d: TORCH_EPS, BatchNorm3d: TORCH_EPS, SyncBatchNorm: TORCH_EPS,
    LazyBatchNorm1d: { index: 0, keyword: 'eps' }, LazyBatchNorm2d: { index: 0, keyword: 'eps' },
    InstanceNorm1d: TORCH_EPS, InstanceNorm2d: TORCH_EPS, InstanceNorm3d: TORCH_EPS,
    GroupNorm: { index: 2, keyword: 'eps' }, RMSNorm: TORCH_EPS, LocalResponseNorm: { fixed: 0 },
  },
  keras: {
    LayerNormalization: KERAS_EPS, RMSNormalization: KERAS_EPS,
    BatchNormalization: { index: 2, keyword: 'epsilon' }, SyncBatchNormalization: { index: 2, keyword: 'epsilon' },
    GroupNormalization: { index: 2, keyword: 'epsilon' }, UnitNormalization: { fixed: 0 },
  },
  // flax.linen's dataclass fields in order; flax.nnx takes ε by keyword only (flaxNormEpsilon).
  flax: {
    LayerNorm: { index: 0, keyword: 'epsilon' }, RMSNorm: { index: 0, keyword: 'epsilon' }, InstanceNorm: { index: 0, keyword: 'epsilon' },
    BatchNorm: { index: 3, keyword: 'epsilon' }, GroupNorm: { index: 2, keyword: 'epsilon' },
  },
};

/** Functional forms, by their last name: `F.layer_norm(x, shape, weight, bias, eps)` and the rest. */
const FUNCTIONS: Readonly<Record<string, Reading>> = {
  layer_norm: { index: 4, keyword: 'eps' }, group_norm: { index: 4, keyword: 'eps' },
  batch_norm: { index: 7, keyword: 'eps' }, instance_norm: { index: 7, keyword: 'eps' },
  rms_norm: { index: 3, keyword: 'eps' }, normalize: { fixed: 0 },
};

function read(reading: Reading | undefined, call: CallParts, scope: Scope, fallback: number, noneMeans?: number): number | 'unknown' {
  if (!reading) return fallback;
  if ('fixed' in reading) return reading.fixed;
  const node = argument(call, reading.index, reading.keyword);
  if (!node) return call.spread ? 'unknown' : fallback;
  const value = evaluate(node, scope);
  if (value === null && noneMeans !== undefined) return noneMeans;
  return isNumber(value) && value >= 0 ? value : 'unknown';
}

/** ε of a norm layer's constructor call (`nn.LayerNorm(d, eps=1e-6)`, `LayerNormalization(epsilon=1e-6)`). */
export function normLayerEpsilon(framework: Framework, name: string, kind: NormOp['kind'], call: CallParts, scope: Scope, nnx = false): number | 'unknown' {
  const reading = CONSTRUCTORS[framework][name];
  const place = nnx && reading && 'index' in reading ? { ...reading, index: -1 } : reading;
  return read(place, call, scope, defaultNormEpsilon(framework, kind), framework === 'pytorch' && kind === 'rmsnorm' ? FLOAT32_EPSILON : undefined);
}

/** ε of PyTorch's functional norm `F.<name>(x, …)`. */
export function functionalNormEpsilon(name: string, kind: NormOp['kind'], call: CallParts, scope: Scope): number | 'unknown' {
  return read(FUNCTIONS[name], call, scope, defaultNormEpsilon('pytorch', kind), kind === 'rmsnorm' ? FLOAT32_EPSILON : undefined);
}
