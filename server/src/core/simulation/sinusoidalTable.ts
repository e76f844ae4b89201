/**
 * The fixed sinusoidal position table of "Attention is all you need" (Vaswani et al. 2017, §3.5):
 * pe[p, 2i] = sin(p·ω_i), pe[p, 2i+1] = cos(p·ω_i), ω_i = base^(−2i/d), rows p = 0…T−1 added to
 * every sequence. Its statistics over the T rows the stream uses are computed from the definition
 * (exact sums, float64), and the rows themselves as PyTorch builds them in float32
 * (test/reference/transformer/sinusoidal_position.py).
 */
import type { SinusoidalTable } from '../ir';

/** What the token stream needs of the table over T rows (tokenStream.ts). */
export interface SinusoidalStatistics {
  /** Mean of pe² over rows and columns: 1/2 (sin² + cos² = 1 per column pair). */
  readonly secondMoment: number;
  /** Mean over row pairs p ≠ q of ⟨pe_p, pe_q⟩/d = (1/d)·Σ_i cos((p − q)·ω_i): the table's own token correlation times 1/2. */
  readonly cross: number;
  /** Mean over rows of μ_p², μ_p the row's mean over columns (what LayerNorm's centring removes per token). */
  readonly meanSquare: number;
  /** Mean over row pairs p ≠ q of μ_p·μ_q. */
  readonly meanCross: number;
}

function frequencies(table: SinusoidalTable): Float64Array {
  const half = table.width / 2;
  return Float64Array.from({ length: half }, (_, i) => Math.exp(2 * i * (-Math.log(table.base) / table.width)));
}

/** The table's statistics over its first `tokens` rows (width even; two or more rows). */
export function sinusoidalStatistics(table: SinusoidalTable, tokens: number): SinusoidalStatistics {
  const d = table.width;
  const omega = frequencies(table);
  // Σ_{p≠q} cos((p − q)ω) = Σ_{δ=1}^{T−1} 2(T − δ)·cos(δω).
  let pairs = 0;
  for (let delta = 1; delta < tokens; delta++) {
    let sum = 0;
    for (const w of omega) sum += Math.cos(delta * w);
    pairs += 2 * (tokens - delta) * sum;
  }
  const orderedPairs = tokens * (tokens - 1);
  let meanSum = 0;
  let meanSquares = 0;
  for (let p = 0; p < tokens; p++) {
    let row = 0;
    for (const w of omega) row += Math.sin(p * w) + Math.cos(p * w);
    const mu = row / d;
    meanSum += mu;
    meanSquares += mu * mu;
  }
  return {
    secondMoment: omega.length / d,
    cross: pairs / d / orderedPairs,
    meanSquare: meanSquares / tokens,
    meanCross: (meanSum * meanSum - meanSquares) / orderedPairs,
  };
}

/** Rows 0…tokens−1 of the table, row-major, as PyTorch computes them in float32. */
export function sinusoidalRows(table: SinusoidalTable, tokens: number): Float32Array {
  const d = table.width;
  const f = Math.fround;
  const scale = f(-Math.log(table.base) / d);
  const omega = Array.from({ length: d / 2 }, (_, i) => f(Math.exp(f(2 * i * scale))));
  const out = new Float32Array(tokens * d);
  for (let p = 0; p < tokens; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = f(p * omega[i]!);
      out[p * d + 2 * i] = Math.sin(angle);
      out[p * d + 2 * i + 1] = Math.cos(angle);
    }
  }
  return out;
}
