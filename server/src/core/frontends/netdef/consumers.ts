/**
 * The last step of lowering: which activation each layer's output really feeds, and
 * which layers end a branch. Works on drafts (the lowered ops plus markers for lines
 * that could not be read) and then freezes them into IR ops.
 */
import type { ActivationOp, AttentionOp, DropoutOp, FlattenOp, NormOp, Op, WeightLayer } from '../../ir';
import type { Span } from '../../text';
import { isPositivelyHomogeneous } from '../../knowledge/activations';
import type { NetdefFixBuilder } from './fixBuilder';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A weight layer while lowering is still deciding its consumer and branch position. */
export type MutableWeightLayer = Mutable<WeightLayer>;

export type Draft =
  | { readonly op: 'layer'; readonly layer: MutableWeightLayer; readonly fixes: NetdefFixBuilder; readonly activationSpan: Span | undefined }
  | { readonly op: 'other'; readonly value: ActivationOp | NormOp | DropoutOp | FlattenOp | AttentionOp; readonly activationSpan?: Span }
  | { readonly op: 'residual'; readonly scale: number; readonly body: Draft[]; readonly span: Span }
  /** `memory [tokens=S] { … }`: the encoder over the second input; its stream is separate. */
  | { readonly op: 'memory'; readonly tokens?: number; readonly body: Draft[]; readonly span: Span }
  /**
   * A line that could not be read (unknown statement, unknown activation): it may be
   * anything, so a layer before it has an unknown consumer. Dropped from the IR.
   */
  | { readonly op: 'opaque' };

/**
 * Sets every layer's consumer and normalizedBeforeActivation, and isLastInBranch for
 * the last layer of the network and of each residual body. A layer with a non-linear
 * fused activation feeds that; otherwise the first stand-alone `activation` after it,
 * looking past normalisation, dropout and flatten (none of which changes which
 * nonlinearity comes next). The look-ahead stays inside the layer's own block: the
 * last layer of a residual body feeds the sum, not what follows the block.
 */
export function resolveConsumers(drafts: readonly Draft[]): void {
  drafts.forEach((draft, i) => {
    if (draft.op === 'residual' || draft.op === 'memory') resolveConsumers(draft.body);
    if (draft.op === 'layer') resolveConsumer(draft, drafts, i);
  });
  const last = lastLayer(drafts);
  if (last) last.isLastInBranch = true;
}

function resolveConsumer(draft: Extract<Draft, { op: 'layer' }>, drafts: readonly Draft[], index: number): void {
  const layer = draft.layer;
  if (layer.activation === 'unknown' || layer.activation.name !== 'linear') {
    layer.consumer = layer.activation;
    if (layer.activation !== 'unknown' && (normalisedNext(drafts, index + 1) || scaleReachesNorm(layer, layer.activation.name, drafts, index + 1))) {
      layer.normalizedAfterActivation = true;
    }
    return;
  }
  let sawNorm = false;
  for (let j = index + 1; j < drafts.length; j++) {
    const next = drafts[j]!;
    if (next.op === 'opaque') {
      layer.consumer = 'unknown';
      break;
    }
    if (next.op !== 'other' || next.value.op === 'attention') break;
    if (next.value.op === 'norm') {
      sawNorm = true;
    } else if (next.value.op === 'activation') {
      layer.consumer = next.value.activation;
      draft.fixes.consumerSpan = next.activationSpan;
      if (!sawNorm && (normalisedNext(drafts, j + 1) || scaleReachesNorm(layer, next.value.activation.name, drafts, j + 1))) {
        layer.normalizedAfterActivation = true;
      }
      break;
    }
  }
  // Linear output into a norm: the norm sets the scale whatever the init, activation found or not.
  layer.normalizedBeforeActivation = sawNorm;
}

/**
 * The layer's scale reaches the next norm as a mere factor: the layer has no bias, its
 * activation is positively homogeneous, and one bias-free layer with no activation of its
 * own follows (past dropout and flatten) straight into a norm — DCGAN's discriminator,
 * `conv … bias=false` / `activation leaky_relu(0.2)` / `conv … bias=false` / `batchnorm`.
 * The norm removes the factor; one layer further the scale shapes how the layers between
 * learn, so it is judged (as the Python frontend does: trace.ts).
 */
function scaleReachesNorm(layer: MutableWeightLayer, activation: string, drafts: readonly Draft[], from: number): boolean {
  if (layer.biasVariance !== 0 || !isPositivelyHomogeneous(activation)) return false;
  for (let j = from; j < drafts.length; j++) {
    const next = drafts[j]!;
    if (next.op === 'layer') {
      const following = next.layer;
      const linear = following.activation !== 'unknown' && following.activation.name === 'linear';
      return following.biasVariance === 0 && linear && normalisedNext(drafts, j + 1);
    }
    if (next.op !== 'other' || (next.value.op !== 'dropout' && next.value.op !== 'flatten')) return false;
  }
  return false;
}

/**
 * A normalisation comes next, past dropout and flatten, before any weight layer, block or
 * other activation (Conv → ReLU → BatchNorm): the scale after the activation is reset.
 */
function normalisedNext(drafts: readonly Draft[], from: number): boolean {
  for (let j = from; j < drafts.length; j++) {
    const next = drafts[j]!;
    if (next.op !== 'other') return false;
    if (next.value.op === 'norm') return true;
    if (next.value.op !== 'dropout' && next.value.op !== 'flatten') return false;
  }
  return false;
}

function lastLayer(drafts: readonly Draft[]): MutableWeightLayer | undefined {
  for (let i = drafts.length - 1; i >= 0; i--) {
    const draft = drafts[i]!;
    if (draft.op === 'layer') return draft.layer;
    // An attention's output projection ends what it is in (GPT-2's scaled c_proj).
    if (draft.op === 'other' && draft.value.op === 'attention') return draft.value.output ?? draft.value.value;
    if (draft.op === 'residual') {
      const inBody = lastLayer(draft.body);
      if (inBody) return inBody;
    }
  }
  return undefined;
}

/** The IR ops: markers dropped, residual bodies frozen. */
export function finalizeOps(drafts: readonly Draft[]): Op[] {
  const ops: Op[] = [];
  for (const draft of drafts) {
    switch (draft.op) {
      case 'layer':
        ops.push(draft.layer);
        break;
      case 'other':
        ops.push(draft.value);
        break;
      case 'residual':
        ops.push({ op: 'residual', scale: draft.scale, body: finalizeOps(draft.body), span: draft.span });
        break;
      case 'memory':
        ops.push({ op: 'memory', body: finalizeOps(draft.body), span: draft.span, ...(draft.tokens !== undefined ? { tokens: draft.tokens } : {}) });
        break;
      case 'opaque':
        break;
    }
  }
  return ops;
}
