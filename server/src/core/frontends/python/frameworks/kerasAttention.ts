/**
 * Keras `MultiHeadAttention` (keras.layers / tf.keras.layers; Keras 2.4+ and 3.x alike):
 *
 *   MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
 *                      output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
 *                      bias_initializer="zeros", …)
 *   layer(query, value, key=None, attention_mask=None, …, training=None, use_causal_mask=False)
 *
 * Four EinsumDense projections (keras/src/layers/attention/multi_head_attention.py,
 * `_build_proj_equation`): query/key/value "abc,cde->abde" with kernels [d, heads, key_dim]
 * ([d, heads, value_dim] for value) and output "abcd,cde->abe" with kernel
 * [heads, value_dim, out] (out = output_shape, else the query's last dimension). The query is
 * multiplied by 1/√key_dim before q·kᵀ; biases come from bias_initializer (zeros).
 *
 * The weights each kernel gets from a fan-scaled initializer (glorot_uniform, the default, and
 * every VarianceScaling) depend on the Keras version (kerasVersion.ts). With d = d_model,
 * h = heads, k = key_dim, v = value_dim, o = out, glorot_uniform's Var = 2/(fan_in + fan_out):
 *
 *                      Keras 2, Keras 3.0–3.14 (kernel shape)   Keras ≥ 3.15 (einsum axes)
 *   query, key         fans (h·d, k·d):  2/(d·(h + k))         fans (d, h·k):  2/(d + h·k)
 *   value              fans (h·d, v·d):  2/(d·(h + v))         fans (d, h·v):  2/(d + h·v)
 *   output             fans (h·v, h·o):  2/(h·(v + o))         fans (h·v, o):  2/(h·v + o)
 *
 * So with d = h·k (d = 512, 8 heads of 64), before 3.15 a query or key column has
 * fan_in·Var = 2/(h + k) = 1/36 of the 1 Keras 3.15 gives (2d/(d + h·k) = 1), and the output
 * 2v/(v + o) = 0.22. PyTorch's nn.MultiheadAttention (attentionLayers.ts) gives q, k, v 1/2
 * (xavier_uniform_ over [3E, E]) and its out_proj 1/3. Fixed-spread initializers (RandomNormal,
 * TruncatedNormal, RandomUniform, constants) do not depend on the fans and are read in every
 * version; Orthogonal (flattened to [d·h, k]) and fan-scaled ones of an undetermined version
 * are unknown.
 */
import type { FixBuilder, InitUse } from '../../../ir';
import { type AttentionModule, classRecord, type WeightModule } from '../interpreter/modules';
import { evaluate, evaluateCount } from '../interpreter/values';
import { argument, type CallParts } from '../syntax/syntax';
import { type CatalogContext, kerasWeight } from './catalog';
import { readInitializerValue } from './initializers';
import type { KerasFanDecision } from './kerasVersion';

/** Keywords read here or without effect on the statistics at initialisation. */
const KERAS_ATTENTION_KEYWORDS: ReadonlySet<string> = new Set([
  'num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes', 'kernel_initializer', 'bias_initializer',
  'kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint', 'seed', 'name', 'dtype',
  'trainable', 'flash_attention', 'use_gate', 'sliding_window',
]);

/** One kernel_initializer for four kernels: an edit for one would change the others, so no fix. */
function describeOnly(layer: WeightModule): FixBuilder {
  return {
    setInitializer: () => undefined, setActivation: () => undefined, setKaimingArguments: () => undefined,
    describeInitializer: (init) => layer.fixes.describeInitializer(init),
  };
}

export function kerasAttention(canonical: string, call: CallParts, ctx: CatalogContext): AttentionModule {
  const { scope } = ctx;
  const heads = evaluateCount(argument(call, 0, 'num_heads'), scope);
  const keyDim = evaluateCount(argument(call, 1, 'key_dim'), scope);
  const valueNode = argument(call, 2, 'value_dim');
  const valueDim = !valueNode || evaluate(valueNode, scope) === null ? keyDim : evaluateCount(valueNode, scope);
  const useBiasNode = argument(call, 4, 'use_bias');
  const useBias = useBiasNode ? evaluate(useBiasNode, scope) : true;
  const outputNode = argument(call, 5, 'output_shape');
  const outputValue = outputNode ? evaluate(outputNode, scope) : null;
  // output_shape: None (the query's width), an int or a 1-tuple; more axes are not an AttentionOp.
  const outputWidth = !outputNode || outputValue === null ? null
    : typeof outputValue === 'number' ? outputValue
      : Array.isArray(outputValue) && outputValue.length === 1 && typeof outputValue[0] === 'number' ? outputValue[0] : undefined;
  const axesNode = argument(call, 6, 'attention_axes');
  const flag = (name: string) => call.keywords.get(name)?.value;
  const gate = flag('use_gate');
  const sliding = flag('sliding_window');
  const unknownKeyword = [...call.keywords.keys()].find((k) => !KERAS_ATTENTION_KEYWORDS.has(k));
  let biasInitFixed = true;
  const biasInit = argument(call, 8, 'bias_initializer');
  if (biasInit && useBias !== false) {
    const read = readInitializerValue(biasInit, scope, ctx.imports, 'keras');
    biasInitFixed = read.semantics?.kind === 'constant';
  }
  const unreadable = call.spread ? 'arguments given by * or **'
    : call.positional.length > 8 ? 'positional arguments after kernel_initializer'
      : unknownKeyword !== undefined ? `${unknownKeyword}= is not read`
        : heads === undefined || keyDim === undefined ? 'num_heads or key_dim is unknown'
          : valueDim === undefined ? 'value_dim is unknown'
            : valueDim !== keyDim ? 'value_dim differs from key_dim'
              : typeof useBias !== 'boolean' ? 'use_bias= is not a constant'
                : outputWidth === undefined || (outputWidth !== null && !(Number.isInteger(outputWidth) && outputWidth > 0)) ? 'output_shape is not None, an int or a 1-tuple'
                  : axesNode && evaluate(axesNode, scope) !== null ? 'attention_axes is not None'
                    : gate && evaluate(gate, scope) !== false ? 'use_gate= multiplies the output by a gate'
                      : sliding && evaluate(sliding, scope) !== null ? 'sliding_window= masks the logits'
                        : !biasInitFixed ? 'bias_initializer is not a constant'
                          // A Keras mask reaching it implicitly (mask_zero=True, compute_mask) is per token: kerasTokens.ts.
                          : undefined;
  // Widths are fixed at the call (from the query's features): interpreter.ts kerasAttentionCall.
  const none = () => ({ fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined });
  const projection = (): WeightModule => {
    const layer = kerasWeight(canonical, call, ctx, 'dense', none, -1);
    return { ...layer, biasVariance: useBias === false ? 0 : layer.biasVariance, fixes: describeOnly(layer) };
  };
  return {
    kind: 'attention', className: canonical, record: classRecord(canonical, { num_heads: heads ?? null, key_dim: keyDim ?? null }), call: call.node,
    heads, embedDim: undefined, ...(unreadable ? { unreadable } : {}), projections: [projection(), projection(), projection(), projection()],
    keras: { keyDim: keyDim ?? 0, outputWidth: outputWidth ?? null },
  };
}

/** The fans Keras hands an initializer for the four kernels under each rule (d the query's width). */
export function kerasAttentionFans(rule: 'kernel-shape' | 'einsum-axes', d: number, heads: number, keyDim: number, out: number) {
  const hk = heads * keyDim;
  return rule === 'einsum-axes'
    ? { qkv: { fanIn: d, fanOut: hk }, output: { fanIn: hk, fanOut: out } }
    // compute_fans on a rank-3 kernel: receptive field ∏shape[:-2], fan_in = shape[-2]·rf, fan_out = shape[-1]·rf.
    : { qkv: { fanIn: heads * d, fanOut: keyDim * d }, output: { fanIn: keyDim * heads, fanOut: out * heads } };
}

/**
 * The initializer one kernel gets once the version is known or not: fixed-spread ones as read;
 * a fan-scaled one needs the rule (else unknown, naming the settings that decide it); Orthogonal
 * on a 3-D kernel is not read.
 */
export function kerasAttentionInit(init: InitUse, decision: KerasFanDecision): InitUse {
  const kind = init.semantics?.kind;
  if (kind === 'orthogonal') return { ...init, semantics: undefined, label: `${init.label}: Orthogonal on MultiHeadAttention's 3-D kernels is not read` };
  if (kind !== 'variance_scaling') return init;
  if (decision.rule !== undefined) {
    const fans = decision.rule === 'einsum-axes' ? 'the einsum\'s fans of Keras ≥ 3.15' : 'the kernel-shape fans of Keras before 3.15';
    return { ...init, label: `${init.label} with ${fans} (${decision.source})` };
  }
  return {
    ...init, semantics: undefined,
    label: `${init.label}: its Var(W) on MultiHeadAttention's kernels depends on the Keras version (Keras 3.15 changed their fans, keras-team/keras#22789), `
      + `and ${decision.source}; set keras-version in [tool.initwise] (initwise.kerasVersion in the editor) or pin keras`,
  };
}

export const isKerasAttention = (canonical: string): boolean => canonical === 'keras.layers.MultiHeadAttention';

/**
 * What the rules recommend, in words true of this version: a fan-scaled spelling (glorot_uniform,
 * lecun_normal) gives the recommended fan_in·Var(W) on these kernels only with the einsum's fans
 * of Keras ≥ 3.15; before, one kernel_initializer cannot give it to both the query and the output
 * kernel (their kernel-shape fans are heads·d_model and heads·key_dim).
 */
export function kerasAttentionAdvice(fixes: FixBuilder, decision: KerasFanDecision): FixBuilder {
  if (decision.rule === 'einsum-axes') return fixes;
  const describe = (init: Parameters<FixBuilder['describeInitializer']>[0]) => {
    const spelled = fixes.describeInitializer(init);
    return decision.rule === undefined
      ? `${spelled} with Keras 3.15 or later (earlier versions compute MultiHeadAttention's fans from the kernel shape, keras-team/keras#22789)`
      : `Keras 3.15 or later, where ${spelled} gets the einsum's fans (before 3.15, MultiHeadAttention's fans come from the kernel shape, keras-team/keras#22789)`;
  };
  return { ...fixes, describeInitializer: describe };
}
