/**
 * Hand-written fan-scaled inits: `std = math.sqrt(2.0 / self.in_features)` then
 * `nn.init.normal_(w, 0.0, std)`, SIREN's `uniform_(-np.sqrt(6 / self.in_features) / w0, ...)`,
 * the legacy `n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels;
 * m.weight.data.normal_(0, math.sqrt(2. / n))`. The std folds to a number like a fixed one,
 * so the reading keeps what the number was computed from: a std computed from a variable
 * follows the layer's width (IW105 leaves it alone), and when the names it is computed from
 * are one side's fan (in_features, out_channels, ...) the layer is judged in that fan mode,
 * as `kaiming_normal_(mode="fan_out")` would be.
 */
import type { Fans, InitSemantics, InitUse } from '../../../ir';
import { fanFor } from '../../../knowledge/initializers';
import type { Imports } from './imports';
import { callParts, dottedName, type Node } from '../syntax/syntax';
import type { Scope } from '../interpreter/values';

export type ScaleFollows = NonNullable<InitUse['scaleFollows']>;

/** Names that count a layer's inputs (its fan_in) or outputs (its fan_out). kernel_size is in both fans: neutral. */
const FAN_IN_NAME = /^(in_features|in_channels|in_planes|inplanes|in_dim|input_dim|input_size|fan_in|n_in|num_inputs)$/;
const FAN_OUT_NAME = /^(out_features|out_channels|out_planes|out_dim|output_dim|output_size|fan_out|n_out|num_outputs)$/;
/** Depth counts (GPT-2's `0.02 / math.sqrt(2 * n_layer)`): they scale the std but not with the width. */
const DEPTH_NAME = /^(n_?layers?|num_layers|num_hidden_layers|depth|n_?blocks|num_blocks)$/i;
/** Calls that only convert a number: `float(std)` passes its argument through unchanged. */
const CONVERSIONS = new Set(['float', 'int']);
const MAX_DEPTH = 16;

interface Evidence { fanIn: boolean; fanOut: boolean; variable: boolean }

/**
 * What the scale arguments of a fixed-scale init call were computed from: the fan they
 * follow ('fan_in', 'fan_out'), 'width' when computed from a variable that names no one
 * fan (or both), undefined for a literal chain (`0.02`, `STD = 0.02`, a parameter whose
 * default is 0.02 passed through as it is).
 */
export function scaleDependence(args: readonly Node[], scope: Scope, imports: Imports): ScaleFollows | undefined {
  const evidence: Evidence = { fanIn: false, fanOut: false, variable: false };
  for (const arg of args) walk(arg, scope, imports, false, evidence, 0);
  if (evidence.fanIn !== evidence.fanOut) return evidence.fanIn ? 'fan_in' : 'fan_out';
  return evidence.fanIn || evidence.variable ? 'width' : undefined;
}

/** `computed`: the node is an operand of arithmetic or of a math function, not a value passed through. */
function walk(node: Node, scope: Scope, imports: Imports, computed: boolean, evidence: Evidence, depth: number): void {
  if (depth > MAX_DEPTH) return;
  switch (node.type) {
    case 'parenthesized_expression':
    case 'unary_operator':
      for (const child of node.namedChildren) walk(child, scope, imports, computed, evidence, depth + 1);
      return;
    case 'binary_operator':
      for (const child of node.namedChildren) walk(child, scope, imports, true, evidence, depth + 1);
      return;
    case 'subscript': {
      // `m.kernel_size[0]`, `w.shape[1]`: what is indexed decides.
      const value = node.childForFieldName('value');
      if (value) walk(value, scope, imports, computed, evidence, depth + 1);
      return;
    }
    case 'call': {
      const call = callParts(node);
      const callee = call ? dottedName(call.callee) : undefined;
      if (!call || callee === undefined) return;
      const last = callee.split('.').pop()!;
      // `w.size(1)`, `w.numel()`: read off the weight itself.
      if (/\.(size|numel|dim)$/.test(callee) || /\.shape\b/.test(callee)) { evidence.variable = true; return; }
      const head = callee.split('.')[0]!;
      const isMath = imports.binds(head) || ['pow', 'abs', 'round', 'min', 'max', ...CONVERSIONS].includes(callee);
      if (!isMath) return;
      const inner = computed || !CONVERSIONS.has(last);
      for (const arg of [...call.positional, ...[...call.keywords.values()].map((k) => k.value)]) walk(arg, scope, imports, inner, evidence, depth + 1);
      return;
    }
    case 'identifier':
    case 'attribute': {
      const name = dottedName(node);
      if (name === undefined) {
        if (computed) evidence.variable = true;
        return;
      }
      const last = name.split('.').pop()!;
      if (/\.shape$/.test(name) || last === 'shape') { evidence.variable = true; return; }
      if (DEPTH_NAME.test(last)) return;
      if (FAN_IN_NAME.test(last)) evidence.fanIn = true;
      if (FAN_OUT_NAME.test(last)) evidence.fanOut = true;
      const head = name.split('.')[0]!;
      // math.pi, np.e: a library constant.
      if (node.type === 'attribute' && imports.binds(head)) return;
      // A lower-case name in arithmetic is a variable even when it folds to a default (`hidden=512`);
      // an UPPER_CASE one is a module constant, followed like any binding.
      if (computed && !/^[A-Z][A-Z0-9_]*$/.test(last)) evidence.variable = true;
      const binding = scope.lookup(name);
      if (binding && 'node' in binding) walk(binding.node, binding.scope, imports, computed, evidence, depth + 1);
      return;
    }
    default:
      return;
  }
}

/**
 * The init a layer gets once its fans are known: a hand-written fan-scaled normal or
 * symmetric uniform becomes the variance_scaling it equals in the fan mode its names
 * follow (same variance at this width). Anything else, and transposed layers (whose
 * framework fans are swapped), keep what was read.
 */
export function initFollowingFan(init: InitUse, frameworkFans: Fans | undefined, transposed: boolean): InitUse {
  const mode = init.scaleFollows;
  const semantics = init.semantics;
  if (!semantics || !frameworkFans || transposed || (mode !== 'fan_in' && mode !== 'fan_out')) return init;
  const fan = fanFor(mode, frameworkFans);
  let variance: number | undefined;
  let distribution: 'untruncated_normal' | 'uniform' | undefined;
  if (semantics.kind === 'normal' && semantics.mean === 0) {
    variance = semantics.std * semantics.std;
    distribution = 'untruncated_normal';
  } else if (semantics.kind === 'uniform' && semantics.low === -semantics.high) {
    variance = (semantics.high * semantics.high) / 3;
    distribution = 'uniform';
  }
  if (variance === undefined || distribution === undefined || !(fan > 0) || !(variance > 0)) return init;
  // Rounded so that 2/576·576 reads as 2, not 1.9999999999999998.
  const converted: InitSemantics = { kind: 'variance_scaling', scale: Number((variance * fan).toPrecision(12)), mode, distribution };
  return { ...init, semantics: converted };
}
