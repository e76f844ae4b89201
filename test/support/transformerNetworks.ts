/**
 * Builds InitWise IR networks straight from test/reference/transformer/configs.json, so the
 * token-stream simulation is compared with the transformer oracle independently of any frontend.
 */
import type { ActivationName, AttentionOp, FixBuilder, InitSemantics, Network, Op, WeightLayer } from '../../server/src/core/ir';
import { frameworkDefaultInit } from '../../server/src/core/knowledge/defaults';

interface TransformerInit { name: string; std?: number; gain?: number }
export interface TransformerConfig {
  id: string; d_model: number; heads: number; tokens: number; n_blocks: number;
  norm: 'pre' | 'post' | 'none'; norm_kind: 'layernorm' | 'rmsnorm';
  mlp: { activation: string; hidden: number } | null;
  attention: { scale: 'inv_sqrt_dh' | 'inv_dh' | number; causal: boolean };
  init: Record<'q' | 'k' | 'v' | 'o' | 'fc1' | 'fc2', TransformerInit>;
  gates?: { attn: number; mlp: number };
  input: { rho: number };
}

const NO_FIXES: FixBuilder = {
  setInitializer: () => undefined, setActivation: () => undefined, setKaimingArguments: () => undefined, describeInitializer: () => '',
};
const ZERO = { start: 0, end: 0 };

function semantics(init: TransformerInit): InitSemantics {
  switch (init.name) {
    case 'torch_default': return frameworkDefaultInit('pytorch', 'dense').semantics;
    case 'normal': return { kind: 'normal', mean: 0, std: init.std! };
    case 'trunc_normal': return { kind: 'truncated_normal', mean: 0, std: init.std!, low: -2 * init.std!, high: 2 * init.std! };
    case 'xavier_uniform': return { kind: 'xavier', gain: init.gain ?? 1, distribution: 'uniform' };
    default: throw new Error(`transformer oracle init ${init.name} not modelled`);
  }
}

/** GPT-2's tanh-approximated GELU is simulated as GELU (their moments differ by < 0.1%). */
function activationName(name: string): ActivationName {
  return (name === 'gelu_tanh' ? 'gelu' : name) as ActivationName;
}

export function transformerNetwork(config: TransformerConfig): Network {
  const layers: WeightLayer[] = [];
  const d = config.d_model;
  const dense = (fanIn: number, fanOut: number, init: TransformerInit, activation: ActivationName, last: boolean): WeightLayer => {
    const act = { name: activation, explicit: true };
    const layer: WeightLayer = {
      op: 'layer', kind: 'dense', index: layers.length, span: ZERO, kindSpan: ZERO,
      fans: { fanIn, fanOut }, frameworkFans: { fanIn, fanOut }, receptiveField: 1, strideProduct: 1,
      activation: act, consumer: act, normalizedBeforeActivation: false,
      init: { semantics: semantics(init), label: init.name, explicit: true, acceptedDefault: false },
      biasVariance: 0, isLastInBranch: last, repeatInstance: 0, fixes: NO_FIXES,
    };
    layers.push(layer);
    return layer;
  };
  const headDim = d / config.heads;
  const s = config.attention.scale;
  const logitScale = s === 'inv_sqrt_dh' ? 1 / Math.sqrt(headDim) : s === 'inv_dh' ? 1 / headDim : s;
  const norm: Op = { op: 'norm', kind: config.norm_kind, epsilon: 1e-5, span: ZERO }; // transformer_oracle.py's eps
  const ops: Op[] = [];
  const sublayer = (body: Op[], gate: number) => {
    if (config.norm === 'pre') ops.push({ op: 'residual', scale: gate, body: [norm, ...body], span: ZERO });
    else ops.push({ op: 'residual', scale: gate, body, span: ZERO });
    if (config.norm === 'post') ops.push(norm);
  };
  for (let b = 0; b < config.n_blocks; b++) {
    const attention: AttentionOp = {
      op: 'attention', heads: config.heads, headDim, logitScale, scaleLabel: String(logitScale), causal: config.attention.causal,
      query: dense(d, d, config.init.q, 'linear', false), key: dense(d, d, config.init.k, 'linear', false),
      value: dense(d, d, config.init.v, 'linear', false), output: dense(d, d, config.init.o, 'linear', true),
      span: ZERO, kindSpan: ZERO,
    };
    sublayer([attention], config.gates?.attn ?? 1);
    if (config.mlp) {
      const hidden = config.mlp.hidden;
      sublayer([dense(d, hidden, config.init.fc1, activationName(config.mlp.activation), false), dense(hidden, d, config.init.fc2, 'linear', true)],
        config.gates?.mlp ?? 1);
    }
  }
  return {
    name: config.id, span: ZERO, nameSpan: ZERO, framework: 'pytorch', inputShape: [d], ops, layers, pretrained: false, tokens: config.tokens,
  };
}
