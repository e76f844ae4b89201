/**
 * One multi-head self-attention at initialisation, in the infinite-width limit with T tokens.
 * A token signal is summarised by m = E[x_i²] (per entry), c = E[x_i·x_k] for two distinct
 * tokens, and its correlation ρ = c/m (ρ → 1 is rank collapse: Noci et al. 2022,
 * https://arxiv.org/abs/2206.03126). With σ_P² = fan_in·Var(W_P) and biases b_P² per projection:
 *
 *   logits   v = scale²·d_head·(σ_Q²m + b_Q²)·σ_K²(m − c)   the variance over the keys of one
 *            query (a key-independent part of the logits drops out of the softmax); rows of two
 *            queries correlate by r = (σ_Q²c + b_Q²)/(σ_Q²m + b_Q²)
 *   values   y_i = Σ_j A_ij v_j:  E[y_i²] = V_c + (V − V_c)·p2,  E[y_i·y_k] = V_c + (V − V_c)·p_ik
 *            with V = σ_V²m + b_V², V_c = σ_V²c + b_V², p2 = E Σ_j A_ij², p_ik = E Σ_j A_ij A_kj
 *            (softmaxStatistics.ts). Uniform attention (v → 0) gives p2 = p_ik = 1/T: the
 *            output is every token's mean and its correlation is 1.
 *
 * Backward, for a cotangent with moments (g, g_c) at the attention output (heads concatenated):
 *   value path   E[dv_j²] = g·p2 + g_c·(T−1)·p_ik,  E[dv_j·dv_k] = g·(1−p2)/(T−1) + g_c·(1−p_ik)
 *                (row sums of A are 1; column moments follow by exchangeability of the tokens)
 *   logit path   dS_ij = A_ij(a_ij − ā_i), a_ij = g_i·v_j: E Σ_j dS_ij² = S·d_head·g·(V − V_c),
 *                S = p2 − 2p3 + p22 (0 for one-hot rows: a saturated softmax passes no gradient);
 *                dq gets scale²·S·d_head·g·(V−V_c)·σ_K²(m−c), dk the same with (σ_Q²m + b_Q²), plus
 *                scale²·d_head·g_c·(V−V_c)·(T−1)·p_ik·(σ_Q²c + b_Q²) where the cotangent is
 *                correlated between tokens (the queries' common part adds up coherently).
 * Causal attention averages the row statistics over row lengths 1..T (an approximation: the
 * tokens are no longer exchangeable).
 * Cross-attention (encoder–decoder, issue 15): the same with q from the decoder stream (m, c) and
 * k, v from the memory (m_M, c_M) over S memory tokens: the logit spread is σ_K²(m_M − c_M), the
 * rows' statistics are over S keys, V = σ_V²m_M + b_V²; backward, the value and key gradients go
 * to the memory and each of their columns sums over the T queries (factor T/S), the query
 * gradient goes to the decoder stream. Checked against nn.Transformer in
 * test/unit/decoderStream.oracle.test.ts. Checked against PyTorch in test/unit/attention.oracle.test.ts.
 * Without an output projection (ir.ts AttentionOp.output absent: vit-pytorch's single head as wide
 * as the stream) the merged heads are the output: σ_O² = 1 both ways, no bias
 * (test/unit/vitPool.oracle.test.ts).
 */
import type { AttentionOp, WeightLayer } from '../ir';
import { weightVariance } from '../knowledge/initializers';
import { causalRows, crossRowOverlap, softmaxMoments } from './softmaxStatistics';

export interface TokenMoments {
  /** E[x_i²] per entry. */
  readonly m: number;
  /** E[x_i·x_k] per entry for distinct tokens. */
  readonly c: number;
}

/** What an attention does at init, for rules, hover and the report. */
export interface AttentionStatistics {
  /** The logits' variance over the keys of one query, v. */
  readonly logitVariance: number;
  /** E Σ_j A_ij², averaged over rows: 1/T for uniform attention, 1 when every row is one-hot. */
  readonly p2: number;
  /** 1/p2: how many keys a query effectively attends to. */
  readonly effectiveKeys: number;
  readonly inputCorrelation: number;
  /** Token correlation of the attention's output (after the output projection). */
  readonly outputCorrelation: number;
  /** Cross-attention: token correlation of the memory its keys and values come from. */
  readonly memoryCorrelation?: number;
}

export interface AttentionPass {
  readonly output: TokenMoments;
  readonly statistics: AttentionStatistics;
  /** Second moments of each projection's output (query, key, value, output: the merged heads' without one), for the layer results. */
  readonly projections: readonly [number, number, number, number];
  /** Gradient moments at the attention input from those at its output; also each projection's input gradient. */
  backward(g: TokenMoments): {
    input: TokenMoments;
    /** Cross-attention: the gradient its keys and values send to the memory. */
    memory?: TokenMoments;
    projections: readonly [number, number, number, number];
  };
}

/** σ² = fan_in·Var(W) (forward) and fan_out·Var(W) (backward) of a projection; undefined when unknown. */
export function projectionGains(layer: WeightLayer): { forward: number; backward: number; bias: number } | undefined {
  if (!layer.fans || !layer.frameworkFans || !layer.init.semantics) return undefined;
  const variance = weightVariance(layer.init.semantics, layer.frameworkFans, layer.receptiveField);
  if (!Number.isFinite(variance)) return undefined;
  return { forward: layer.fans.fanIn * variance, backward: layer.fans.fanOut * variance, bias: layer.biasVariance };
}

/** The identity where an attention has no output projection. */
const NO_PROJECTION = { forward: 1, backward: 1, bias: 0 } as const;

interface RowStatistics { p2: number; p3: number; p22: number; pik: number }

function rowStatistics(v: number, tokens: number, r: number, causal: boolean): RowStatistics {
  if (causal) return causalRows(v, tokens, r);
  const { p2, p3, p22 } = softmaxMoments(v, tokens);
  return { p2, p3, p22, pik: crossRowOverlap(p2, tokens, r) };
}

/** The memory a cross-attention reads keys and values from: its moments and its tokens per sequence. */
export interface MemoryMoments extends TokenMoments {
  readonly tokens: number;
}

/**
 * One attention: self-attention over `input`, or cross-attention (`memory` given: queries from
 * `input`, keys and values from the memory, S = memory.tokens keys per row). Cross-attention's
 * backward splits: the query path goes to `input`, the key and value paths to `memory`; a key
 * column is summed over T queries instead of S, so the value and key gradients carry T/S.
 */
export function attentionPass(op: AttentionOp, input: TokenMoments, tokens: number, memory?: MemoryMoments): AttentionPass | undefined {
  const q = projectionGains(op.query);
  const k = projectionGains(op.key);
  const val = projectionGains(op.value);
  const o = op.output ? projectionGains(op.output) : NO_PROJECTION;
  if (!q || !k || !val || !o || op.logitScale === undefined) return undefined;
  // A causal mask over keys of another sequence is not a mask InitWise reads.
  if (memory && op.causal) return undefined;
  const { m, c } = input;
  const source = memory ?? input;
  const keys = memory ? memory.tokens : tokens;
  const columns = tokens / keys;
  const spread = Math.max(0, source.m - source.c);
  const queryM = q.forward * m + q.bias;
  const queryC = q.forward * c + q.bias;
  const v = op.logitScale * op.logitScale * op.headDim * queryM * k.forward * spread;
  const r = queryM > 0 ? queryC / queryM : 1;
  const rows = rowStatistics(v, keys, r, op.causal);
  const valueM = val.forward * source.m + val.bias;
  const valueC = val.forward * source.c + val.bias;
  const yM = valueC + (valueM - valueC) * rows.p2;
  const yC = valueC + (valueM - valueC) * rows.pik;
  const output = { m: o.forward * yM + o.bias, c: o.forward * yC + o.bias };
  const statistics: AttentionStatistics = {
    logitVariance: v,
    p2: rows.p2,
    effectiveKeys: 1 / rows.p2,
    inputCorrelation: m > 0 ? c / m : 1,
    outputCorrelation: output.m > 0 ? output.c / output.m : 1,
    ...(memory ? { memoryCorrelation: memory.m > 0 ? memory.c / memory.m : 1 } : {}),
  };
  return {
    output,
    statistics,
    projections: [queryM, k.forward * source.m + k.bias, valueM, output.m],
    backward(g) {
      const gy = o.backward * g.m;
      const gyC = o.backward * g.c;
      const n = tokens;
      // Column sums over the T queries: Σ_i E[A_ij²] = (T/S)·p2, Σ_{i≠i′} E[A_ij A_i′j] = (T/S)(T−1)·p_ik.
      const dvM = columns * (gy * rows.p2 + gyC * (n - 1) * rows.pik);
      const dvC = keys > 1 ? columns * (gy * (1 - rows.p2) + gyC * (n - 1) * (1 - rows.pik)) / (keys - 1) : dvM;
      const s = Math.max(0, rows.p2 - 2 * rows.p3 + rows.p22);
      const scores = op.logitScale! * op.logitScale! * s * op.headDim * gy * (valueM - valueC);
      const dq = scores * k.forward * spread;
      // dk_j = scale·Σ_i dS_ij q_i also sums coherently over queries where the cotangent is
      // correlated between tokens (g_c): Σ_{i≠i′} E[A_ij A_i′j] = (T−1)·p_ik, times q's cross moment.
      const coherent = op.logitScale! * op.logitScale! * op.headDim * gyC * (valueM - valueC) * (n - 1) * rows.pik * queryC;
      const dk = columns * (scores * queryM + Math.max(0, coherent));
      const fromValue = val.backward * dvM;
      const fromQuery = q.backward * dq;
      const fromKey = k.backward * dk;
      const projections = [fromQuery, fromKey, fromValue, gy] as const;
      if (memory) return { input: { m: fromQuery, c: 0 }, memory: { m: fromValue + fromKey, c: val.backward * dvC }, projections };
      return { input: { m: fromValue + fromQuery + fromKey, c: val.backward * dvC }, projections };
    },
  };
}
