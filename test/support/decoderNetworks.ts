/**
 * Builds InitWise IR networks straight from the configs of test/reference/transformer/
 * decoder_ground_truth.json (PyTorch's nn.Transformer and nn.TransformerDecoder as constructed),
 * so the encoder–decoder simulation is compared with PyTorch independently of the Python frontend:
 *   in_proj_weight [3d, d]   xavier_uniform_: Var = 1/(2d) for each of q, k, v; biases 0
 *   out_proj                 xavier_uniform_ under nn.Transformer (Var = 1/d), else Linear's default; bias 0
 *   linear1, linear2         xavier_uniform_ under nn.Transformer, else Linear's default; biases U(±1/√fan_in)
 *   dropout                  after each branch, and between the MLP's activation and linear2
 */
import type { ActivationName, AttentionOp, FixBuilder, InitSemantics, Network, Op, WeightLayer } from '../../server/src/core/ir';
import { frameworkDefaultInit } from '../../server/src/core/knowledge/defaults';

export interface DecoderConfig {
  id: string; kind: 'transformer' | 'decoder'; d_model: number; heads: number; dim_feedforward: number;
  encoder_layers: number; decoder_layers: number; tgt_tokens: number; src_tokens: number;
  norm_first: boolean; activation: 'relu' | 'gelu'; dropout: number; decoder_final_norm: boolean;
  input: { rho_src: number; rho_tgt: number };
}

const NO_FIXES: FixBuilder = {
  setInitializer: () => undefined, setActivation: () => undefined, setKaimingArguments: () => undefined, describeInitializer: () => '',
};
const ZERO = { start: 0, end: 0 };
const XAVIER: InitSemantics = { kind: 'xavier', gain: 1, distribution: 'uniform' };

export function decoderNetwork(config: DecoderConfig): Network {
  const layers: WeightLayer[] = [];
  const d = config.d_model;
  const ff = config.dim_feedforward;
  const whole = config.kind === 'transformer';
  const dense = (fanIn: number, fanOut: number, semantics: InitSemantics, activation: ActivationName, biasVariance: number, frameworkFanOut = fanOut): WeightLayer => {
    const act = { name: activation, explicit: true };
    const layer: WeightLayer = {
      op: 'layer', kind: 'dense', index: layers.length, span: ZERO, kindSpan: ZERO,
      fans: { fanIn, fanOut }, frameworkFans: { fanIn, fanOut: frameworkFanOut }, receptiveField: 1, strideProduct: 1,
      activation: act, consumer: act, normalizedBeforeActivation: false,
      init: { semantics, label: semantics.kind, explicit: true, acceptedDefault: false },
      biasVariance, isLastInBranch: activation === 'linear', repeatInstance: 0, fixes: NO_FIXES,
    };
    layers.push(layer);
    return layer;
  };
  const linearDefault = frameworkDefaultInit('pytorch', 'dense').semantics;
  const norm: Op = { op: 'norm', kind: 'layernorm', epsilon: 1e-5, span: ZERO }; // nn.LayerNorm's eps, as decoder_oracle.py builds it
  const dropout: Op[] = config.dropout > 0 ? [{ op: 'dropout', rate: config.dropout, alpha: false, span: ZERO, kindSpan: ZERO }] : [];
  const attention = (crossAttention: boolean): AttentionOp => ({
    op: 'attention', heads: config.heads, headDim: d / config.heads, logitScale: 1 / Math.sqrt(d / config.heads),
    scaleLabel: '1/√d_head', causal: !crossAttention, ...(crossAttention ? { crossAttention: true as const } : {}),
    query: dense(d, d, XAVIER, 'linear', 0, 3 * d), key: dense(d, d, XAVIER, 'linear', 0, 3 * d),
    value: dense(d, d, XAVIER, 'linear', 0, 3 * d), output: dense(d, d, whole ? XAVIER : linearDefault, 'linear', 0),
    span: ZERO, kindSpan: ZERO,
  });
  const mlp = (): Op[] => [
    dense(d, ff, whole ? XAVIER : linearDefault, config.activation, 1 / (3 * d)), ...dropout,
    dense(ff, d, whole ? XAVIER : linearDefault, 'linear', 1 / (3 * ff)), ...dropout,
  ];
  const sublayer = (ops: Op[], body: Op[]) => {
    if (config.norm_first) ops.push({ op: 'residual', scale: 1, body: [norm, ...body], span: ZERO });
    else ops.push({ op: 'residual', scale: 1, body, span: ZERO }, norm);
  };
  const encoder: Op[] = [];
  for (let i = 0; i < config.encoder_layers; i++) {
    // Self-attention over the source: no mask.
    const self = attention(false);
    sublayer(encoder, [{ ...self, causal: false }, ...dropout]);
    sublayer(encoder, mlp());
  }
  if (whole) encoder.push(norm);
  const ops: Op[] = [{ op: 'memory', body: encoder, tokens: config.src_tokens, span: ZERO }];
  for (let i = 0; i < config.decoder_layers; i++) {
    sublayer(ops, [attention(false), ...dropout]);
    sublayer(ops, [attention(true), ...dropout]);
    sublayer(ops, mlp());
  }
  if (whole || config.decoder_final_norm) ops.push(norm);
  return {
    name: config.id, span: ZERO, nameSpan: ZERO, framework: 'pytorch', inputShape: [d], ops, layers, pretrained: false, tokens: config.tgt_tokens,
  };
}
