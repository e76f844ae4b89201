/**
 * Draws a weight tensor the way the framework's init code does, from the initializer's
 * real semantics (ir.ts InitSemantics): the same distribution family, bounds, gains and
 * fans (the framework's own fans, as knowledge/initializers.ts computes Var(W)), so the
 * Monte-Carlo network is a network the user could actually get. The draws themselves
 * come from our generator (prng.ts), not the framework's: equal in distribution only.
 */
import type { Fans, InitSemantics } from '../ir';
import { calculateGain, fanFor, TRUNCNORM_STD } from '../knowledge/initializers';
import { normalCdf } from '../math/special';
import type { Random } from './prng';

/** Thrown when an initializer cannot be drawn faithfully (the simulation then declines). */
export class CannotSample extends Error {}

/** A weight matrix in PyTorch's layout: `rows` = output channels, `cols` = inputs per group × ∏kernel. */
export interface KernelShape {
  readonly rows: number;
  readonly cols: number;
}

/**
 * Where the Monte-Carlo pass draws a weight tensor in bulk (kernelEngine.ts: into the memory its
 * products read, by the WebAssembly generator, on both threads): the elementwise families go
 * there; orthogonal and constant tensors are written by this file into the array it allocates.
 */
export interface BulkDraw {
  allocate(count: number): Float32Array;
  /** mean + std·N(0,1), redrawn until within [low, high]. */
  normal(out: Float32Array, mean: number, std: number, low: number, high: number): void;
  uniform(out: Float32Array, low: number, high: number): void;
}

export function drawKernel(
  semantics: InitSemantics, frameworkFans: Fans, shape: KernelShape, rng: Random, checkpoint: () => void, bulk?: BulkDraw,
): Float32Array {
  const out = bulk ? bulk.allocate(shape.rows * shape.cols) : new Float32Array(shape.rows * shape.cols);
  switch (semantics.kind) {
    case 'variance_scaling': {
      // Keras / JAX VarianceScaling: n clamped at 1; the truncated normal is cut at ±2σ
      // and divided by the truncated std (0.8796…) so Var = scale/n exactly.
      const variance = semantics.scale / Math.max(1, fanFor(semantics.mode, frameworkFans));
      const std = Math.sqrt(variance);
      if (semantics.distribution === 'uniform') fillUniform(out, -Math.sqrt(3) * std, Math.sqrt(3) * std, rng, checkpoint, bulk);
      else if (semantics.distribution === 'untruncated_normal') fillNormal(out, 0, std, rng, checkpoint, bulk);
      else fillTruncatedNormal(out, 0, std / TRUNCNORM_STD, -2 * (std / TRUNCNORM_STD), 2 * (std / TRUNCNORM_STD), rng, checkpoint, bulk);
      return out;
    }
    case 'kaiming': {
      const gain = calculateGain(semantics.nonlinearity, semantics.a);
      if (gain === undefined) throw new CannotSample(`calculate_gain rejects '${semantics.nonlinearity}'`);
      const std = gain / Math.sqrt(fanFor(semantics.mode, frameworkFans));
      if (semantics.distribution === 'uniform') fillUniform(out, -Math.sqrt(3) * std, Math.sqrt(3) * std, rng, checkpoint, bulk);
      else fillNormal(out, 0, std, rng, checkpoint, bulk);
      return out;
    }
    case 'xavier': {
      const std = semantics.gain * Math.sqrt(2 / (frameworkFans.fanIn + frameworkFans.fanOut));
      if (semantics.distribution === 'uniform') fillUniform(out, -Math.sqrt(3) * std, Math.sqrt(3) * std, rng, checkpoint, bulk);
      else fillNormal(out, 0, std, rng, checkpoint, bulk);
      return out;
    }
    case 'orthogonal':
      fillOrthogonal(out, shape, semantics.gain, rng, checkpoint);
      return out;
    case 'normal':
      fillNormal(out, semantics.mean, semantics.std, rng, checkpoint, bulk);
      return out;
    case 'truncated_normal':
      fillTruncatedNormal(out, semantics.mean, semantics.std, semantics.low, semantics.high, rng, checkpoint, bulk);
      return out;
    case 'uniform':
      fillUniform(out, semantics.low, semantics.high, rng, checkpoint, bulk);
      return out;
    case 'constant':
      out.fill(semantics.value);
      return out;
  }
}

/** Rows drawn between two cancellation checks: ~64k values, well under a millisecond. */
const CHUNK = 1 << 16;

function fillNormal(out: Float32Array, mean: number, std: number, rng: Random, checkpoint: () => void, bulk: BulkDraw | undefined): void {
  if (bulk) return bulk.normal(out, mean, std, -Infinity, Infinity);
  for (let start = 0; start < out.length; start += CHUNK) {
    checkpoint();
    rng.fillNormal(out.subarray(start, Math.min(out.length, start + CHUNK)), mean, std);
  }
}

function fillUniform(out: Float32Array, low: number, high: number, rng: Random, checkpoint: () => void, bulk: BulkDraw | undefined): void {
  if (bulk) return bulk.uniform(out, low, high);
  const width = high - low;
  for (let start = 0; start < out.length; start += CHUNK) {
    checkpoint();
    const end = Math.min(out.length, start + CHUNK);
    for (let i = start; i < end; i++) out[i] = low + width * rng.uniform();
  }
}

/**
 * N(mean, std²) restricted to [low, high] (absolute bounds), by rejection. When the
 * interval holds less than 1e-3 of the mass, rejection would crawl; such an initializer
 * (bounds far in one tail) is declined rather than approximated.
 */
function fillTruncatedNormal(
  out: Float32Array, mean: number, std: number, low: number, high: number, rng: Random, checkpoint: () => void, bulk: BulkDraw | undefined,
): void {
  if (!(std > 0)) {
    out.fill(Math.min(Math.max(mean, low), high));
    return;
  }
  const mass = normalCdf((high - mean) / std) - normalCdf((low - mean) / std);
  if (!(mass >= 1e-3)) throw new CannotSample(`a truncated normal keeping ${mass.toExponential(1)} of its mass`);
  if (bulk) return bulk.normal(out, mean, std, low, high);
  for (let start = 0; start < out.length; start += CHUNK) {
    checkpoint();
    const end = Math.min(out.length, start + CHUNK);
    for (let i = start; i < end; i++) {
      let x: number;
      do x = mean + std * rng.normal();
      while (x < low || x > high);
      out[i] = x;
    }
  }
}

/**
 * torch.nn.init.orthogonal_ (Saxe et al. 2014): a Gaussian matrix of the kernel's
 * (rows × cols) shape, QR of its tall orientation, Q's columns signed so that R has a
 * positive diagonal (making Q Haar-distributed), times gain. Gram–Schmidt produces that
 * positive-diagonal Q directly; it runs twice per column ("twice is enough",
 * Giraud et al. 2005) in float64 so the columns stay orthonormal to rounding.
 * Keras and JAX factorise the transpose; orthonormality along the shorter side is the same.
 */
function fillOrthogonal(out: Float32Array, shape: KernelShape, gain: number, rng: Random, checkpoint: () => void): void {
  const tall = shape.rows >= shape.cols;
  const m = tall ? shape.rows : shape.cols; // long side
  const n = tall ? shape.cols : shape.rows; // short side: n orthonormal vectors of length m
  const q = new Float64Array(m * n); // column j at q[j*m .. j*m+m)
  rng.fillNormal(q);
  // The Gaussian is drawn in the (rows × cols) layout; take its columns (tall) or rows (wide).
  const drawn = Float64Array.from(q);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) q[j * m + i] = tall ? drawn[i * shape.cols + j]! : drawn[j * shape.cols + i]!;
  }
  for (let j = 0; j < n; j++) {
    checkpoint();
    const vj = j * m;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const vk = k * m;
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[vk + i]! * q[vj + i]!;
        for (let i = 0; i < m; i++) q[vj + i] = q[vj + i]! - dot * q[vk + i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[vj + i]! * q[vj + i]!;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) throw new CannotSample('a degenerate Gaussian draw for orthogonal init');
    for (let i = 0; i < m; i++) q[vj + i] = q[vj + i]! / norm;
  }
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < m; i++) {
      const value = gain * q[j * m + i]!;
      if (tall) out[i * shape.cols + j] = value;
      else out[j * shape.cols + i] = value;
    }
  }
}
