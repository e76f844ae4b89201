/**
 * `attention HEADS [head_dim=D] [scale=S|none] [causal=true] [init=INIT] [q_init=…] [k_init=…]
 * [v_init=…] [out_init=…] [use_bias=false]`: multi-head self-attention over the tokens of the
 * features flowing in (docs/netdef.md). It builds four projections (query, key, value: d_model
 * → heads·head_dim; output: heads·head_dim → d_model), each a weight layer judged like a dense
 * one; `init=` sets all four, a per-projection option overrides it. The logit scale defaults to
 * 1/√head_dim, as every framework's attention applies it; `scale=none` writes logits q·kᵀ.
 */
import type { AttentionOp, Framework, InitUse } from '../../ir';
import { frameworkDefaultInit } from '../../knowledge/defaults';
import type { Expr, OptionAst, Statement } from './ast';
import { type MutableWeightLayer } from './consumers';
import { NetdefFixBuilder } from './fixBuilder';
import { formatNumber } from './numbers';
import { readInitializer } from './readInitializer';
import { denseFans, describeShape, type Shape } from './shapes';
import type { Checked } from './statements';
import { readBoolean, readCount, readNumber, sourceLabel, type Reader } from './values';

export const ATTENTION_OPTIONS = ['head_dim', 'scale', 'causal', 'cross', 'init', 'q_init', 'k_init', 'v_init', 'out_init', 'use_bias'];

const PROJECTIONS = [
  { key: 'q_init', role: 'query' },
  { key: 'k_init', role: 'key' },
  { key: 'v_init', role: 'value' },
  { key: 'out_init', role: 'output' },
] as const;

export interface AttentionContext {
  readonly reader: Reader;
  readonly framework: Framework;
  readonly input: Shape | undefined;
  /** The network's layers so far; the projections are appended. */
  readonly layers: MutableWeightLayer[];
  readonly instance: number;
  /** Features of the network's memory (`memory { … }` before the attention); null: unknown; undefined: no memory. */
  readonly memoryWidth?: number | null;
}

function readScale(option: OptionAst | undefined, headDim: number | undefined, reader: Reader): { value: number | undefined; label: string } {
  if (!option) {
    return headDim === undefined ? { value: undefined, label: '1/√head_dim' } : { value: 1 / Math.sqrt(headDim), label: `1/√${headDim}` };
  }
  const expr: Expr = option.value;
  if (expr.kind === 'name' && expr.name.lower === 'none') return { value: 1, label: 'none (q·kᵀ unscaled)' };
  const value = readNumber(expr, reader, 'the attention logit scale');
  if (value !== undefined && !(value > 0)) {
    reader.diags.syntax(expr.span, `the attention logit scale must be positive, got ${formatNumber(value)}`);
    return { value: undefined, label: sourceLabel(expr, reader.source) };
  }
  return { value, label: sourceLabel(expr, reader.source) };
}

/** Lowers the statement; undefined when its width or head count cannot be read (reported). */
export function lowerAttention(statement: Statement, { options }: Checked, context: AttentionContext): AttentionOp | undefined {
  const { reader, input } = context;
  const keyword = statement.keyword!;
  const headsExpr = statement.positionals[0];
  const heads = headsExpr ? readCount(headsExpr, reader, 'the number of heads') : undefined;
  let model: number | undefined;
  if (input && input.length !== 1) {
    reader.diags.syntax(keyword.span, `attention needs one feature vector per token, but its input is ${describeShape(input)}`);
  } else if (input) {
    model = input[0];
  }
  const headDimOption = options.get('head_dim');
  let headDim = headDimOption ? readCount(headDimOption.value, reader, 'the head width') : undefined;
  if (!headDimOption && heads !== undefined && model !== undefined) {
    if (model % heads === 0) headDim = model / heads;
    else reader.diags.syntax(headsExpr!.span, `${model} features do not split into ${heads} heads; give head_dim= or a head count that divides ${model}`);
  }
  const scale = readScale(options.get('scale'), headDim, reader);
  const causalOption = options.get('causal');
  const causal = causalOption ? readBoolean(causalOption.value, reader, 'causal') ?? false : false;
  // cross=true: keys and values from the network's memory block (an encoder–decoder's cross-attention).
  const crossOption = options.get('cross');
  const cross = crossOption ? readBoolean(crossOption.value, reader, 'cross') ?? false : false;
  if (cross && crossOption) {
    if (context.memoryWidth === undefined) {
      reader.diags.syntax(crossOption.span, "cross=true reads keys and values from the network's memory: put a 'memory { … }' block before this attention");
      return undefined;
    }
    if (causal) {
      reader.diags.syntax(crossOption.span, 'a cross-attention is not causal: its keys are the memory\'s tokens, not earlier ones of the stream');
      return undefined;
    }
    if (model !== undefined && context.memoryWidth !== null && context.memoryWidth !== model) {
      reader.diags.syntax(crossOption.span, `the memory has ${context.memoryWidth} features and the stream ${model}: a cross-attention here needs both as wide`);
      return undefined;
    }
  }
  const useBiasOption = options.get('use_bias');
  if (useBiasOption) readBoolean(useBiasOption.value, reader, 'use_bias');
  if (heads === undefined || headDim === undefined) return undefined;

  const inner = heads * headDim;
  const shared = options.get('init');
  const layers = PROJECTIONS.map(({ key }, i) => {
    const own = options.get(key);
    const option = own ?? shared;
    const fans = model === undefined ? undefined : i === 3 ? denseFans(inner, model) : denseFans(model, inner);
    const reading = option ? readInitializer(option.value, reader, context.framework, 'dense') : undefined;
    let init: InitUse;
    if (reading && option) {
      init = { semantics: reading.semantics, label: reading.label, explicit: true, acceptedDefault: reading.acceptedDefault, span: option.value.span };
    } else if (statement.syntaxError) {
      init = { semantics: undefined, label: 'unknown (the line has a syntax error)', explicit: false, acceptedDefault: false };
    } else {
      const fallback = frameworkDefaultInit(context.framework, 'dense');
      init = { semantics: fallback.semantics, label: fallback.label, explicit: false, acceptedDefault: false };
    }
    // A fix edits the projection's own option; where only `init=` is written it adds one.
    const fixes = new NetdefFixBuilder({
      source: reader.source, statement, kind: 'dense', initExpr: own?.value, init: own ? reading : undefined,
      activationExpr: undefined, initKey: key, noActivation: true, ...(own || !shared ? {} : { sharedInitExpr: shared.value }),
    });
    const linear = { name: 'linear' as const, explicit: false };
    const layer: MutableWeightLayer = {
      op: 'layer', kind: 'dense', index: context.layers.length, span: statement.span, kindSpan: keyword.span,
      fans: fans?.fans, frameworkFans: fans?.frameworkFans, receptiveField: 1, strideProduct: 1,
      activation: linear, consumer: linear, normalizedBeforeActivation: false, init,
      biasVariance: 0, isLastInBranch: false, repeatInstance: context.instance, fixes,
    };
    context.layers.push(layer);
    return layer;
  });
  return {
    op: 'attention', heads, headDim, logitScale: scale.value, scaleLabel: scale.label,
    ...(options.get('scale') ? { scaleSpan: options.get('scale')!.value.span } : {}),
    causal, ...(cross ? { crossAttention: true as const } : {}), query: layers[0]!, key: layers[1]!, value: layers[2]!, output: layers[3]!,
    span: statement.span, kindSpan: keyword.span,
    fixes: {
      // The default scale is 1/√head_dim: the fix removes the written one (and the space before it).
      useStandardScale: () => {
        const option = options.get('scale');
        if (!option || statement.syntaxError) return undefined;
        const source = reader.source;
        let start = option.span.start;
        while (start > 0 && (source[start - 1] === ' ' || source[start - 1] === '\t')) start--;
        return [{ span: { start, end: option.span.end }, newText: '' }];
      },
    },
  };
}
