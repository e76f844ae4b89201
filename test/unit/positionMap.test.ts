/**
 * The per-position sums of a padded convolution (simulation/positionMap.ts) against their
 * definition, evaluated the plain way: for every output position, every kernel tap in
 * row-major order, the input position o·s + k − pad when it lies inside the map. Equal to
 * the last bit, on random geometries of rank 1–3 (strided, padded on one or both sides,
 * kernels larger than the map).
 */
import * as assert from 'node:assert/strict';
import type { ConvGeometry } from '../../server/src/core/ir';
import { convBackwardSums, convForwardSums, convTapAverages } from '../../server/src/core/simulation/positionMap';
import { Random } from '../../server/src/core/simulation/prng';

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function definition(g: ConvGeometry, map: Float64Array, direction: 'forward' | 'backward'): Float64Array {
  const sums = new Float64Array(size(direction === 'forward' ? g.outputSpatial : g.inputSpatial));
  const rank = g.outputSpatial.length;
  for (let o = 0; o < size(g.outputSpatial); o++) {
    const outIdx: number[] = [];
    for (let d = rank - 1, rest = o; d >= 0; d--) {
      outIdx[d] = rest % g.outputSpatial[d]!;
      rest = Math.floor(rest / g.outputSpatial[d]!);
    }
    for (let t = 0; t < size(g.kernel); t++) {
      const tapIdx: number[] = [];
      for (let d = rank - 1, rest = t; d >= 0; d--) {
        tapIdx[d] = rest % g.kernel[d]!;
        rest = Math.floor(rest / g.kernel[d]!);
      }
      let input = 0;
      let valid = true;
      for (let d = 0; d < rank; d++) {
        const p = outIdx[d]! * g.stride[d]! + tapIdx[d]! - g.padBefore[d]!;
        if (p < 0 || p >= g.inputSpatial[d]!) valid = false;
        input = input * g.inputSpatial[d]! + p;
      }
      if (!valid) continue;
      if (direction === 'forward') sums[o] = sums[o]! + (map.length === 1 ? map[0]! : map[input]!);
      else sums[input] = sums[input]! + map[o]!;
    }
  }
  return sums;
}

describe('positionMap: padded convolution sums', () => {
  const random = new Random(20261207);
  const int = (lo: number, hi: number) => lo + Math.floor(random.uniform() * (hi - lo + 1));
  const geometries: ConvGeometry[] = [];
  for (let i = 0; i < 60; i++) {
    const rank = 1 + (i % 3);
    const inputSpatial: number[] = [];
    const outputSpatial: number[] = [];
    const kernel: number[] = [];
    const stride: number[] = [];
    const padBefore: number[] = [];
    for (let d = 0; d < rank; d++) {
      const n = int(1, rank === 3 ? 6 : 12);
      const k = int(1, 5);
      const s = int(1, 3);
      const pad = int(0, k);
      inputSpatial.push(n);
      kernel.push(k);
      stride.push(s);
      padBefore.push(pad);
      outputSpatial.push(Math.max(1, Math.floor((n + pad + int(0, k) - k) / s) + 1));
    }
    geometries.push({ inputSpatial, outputSpatial, kernel, stride, padBefore });
  }
  const values = (n: number) => Float64Array.from({ length: n }, () => random.uniform() * 3 + 0.1);

  it('forward sums equal the definition to the last bit, per-position and broadcast maps', () => {
    for (const g of geometries) {
      for (const map of [values(size(g.inputSpatial)), values(1)]) {
        assert.deepEqual(convForwardSums(g, map), definition(g, map, 'forward'), JSON.stringify(g));
      }
    }
  });

  it('backward sums equal the definition to the last bit', () => {
    for (const g of geometries) {
      const map = values(size(g.outputSpatial));
      assert.deepEqual(convBackwardSums(g, map), definition(g, map, 'backward'), JSON.stringify(g));
    }
  });

  // Piecewise-constant maps, as a padded conv's interior makes them: positions whose taps read
  // one run of equal values take their left neighbour's sum (issue 16), which must still be
  // the definition's, including where a run ends inside the kernel or the tap counts differ.
  const runs = (n: number) => {
    const out = new Float64Array(n);
    let v = 1;
    for (let i = 0; i < n; i++) {
      if (random.uniform() < 0.15) v = [0.1, 1, 1 / 3, 2.5, 0][int(0, 4)]!;
      out[i] = v;
    }
    return out;
  };

  it('sums over maps with runs of equal values equal the definition to the last bit', () => {
    for (const g of geometries) {
      for (let trial = 0; trial < 5; trial++) {
        const input = runs(size(g.inputSpatial));
        assert.deepEqual(convForwardSums(g, input), definition(g, input, 'forward'), JSON.stringify(g));
        const output = runs(size(g.outputSpatial));
        assert.deepEqual(convBackwardSums(g, output), definition(g, output, 'backward'), JSON.stringify(g));
      }
    }
  });

  // convTapAverages' definition: per tap (row-major), the input it reads summed over output
  // positions in row-major order (padding reads nothing), and how many positions read inside.
  const tapDefinition = (g: ConvGeometry, map: Float64Array) => {
    const rank = g.outputSpatial.length;
    const positions = size(g.outputSpatial);
    let meanSquares = 0;
    let fractionSquares = 0;
    for (let t = 0; t < size(g.kernel); t++) {
      const tapIdx: number[] = [];
      for (let d = rank - 1, rest = t; d >= 0; d--) {
        tapIdx[d] = rest % g.kernel[d]!;
        rest = Math.floor(rest / g.kernel[d]!);
      }
      let sum = 0;
      let valid = 0;
      for (let o = 0; o < positions; o++) {
        let input = 0;
        let inside = true;
        for (let d = rank - 1, rest = o, scale = 1; d >= 0; d--) {
          const p = (rest % g.outputSpatial[d]!) * g.stride[d]! + tapIdx[d]! - g.padBefore[d]!;
          rest = Math.floor(rest / g.outputSpatial[d]!);
          if (p < 0 || p >= g.inputSpatial[d]!) inside = false;
          input += p * scale;
          scale *= g.inputSpatial[d]!;
        }
        if (!inside) continue;
        sum += map.length === 1 ? map[0]! : map[input]!;
        valid++;
      }
      meanSquares += (sum / positions) ** 2;
      fractionSquares += (valid / positions) ** 2;
    }
    return { meanSquares, fractionSquares };
  };

  it('tap averages equal their definition to the last bit: per-position, uniform, broadcast and zero maps', () => {
    for (const g of geometries) {
      const n = size(g.inputSpatial);
      const v = values(1)[0]!;
      for (const map of [values(n), runs(n), new Float64Array(n).fill(v), Float64Array.of(v), new Float64Array(n), Float64Array.of(-0)]) {
        assert.deepEqual(convTapAverages(g, map), tapDefinition(g, map), JSON.stringify(g));
      }
    }
  });

  it('a remembered sum is the definition of the map given now, and each caller gets its own copy', () => {
    const g = geometries[7]!;
    const map = values(size(g.inputSpatial));
    const first = convForwardSums(g, map);
    first.fill(-1);
    assert.deepEqual(convForwardSums(g, map), definition(g, map, 'forward'));
    // The same geometry and map object with one value changed: not the remembered sums.
    map[0] = map[0]! + 1;
    assert.deepEqual(convForwardSums(g, map), definition(g, map, 'forward'));
    const out = values(size(g.outputSpatial));
    convBackwardSums(g, out).fill(-1);
    assert.deepEqual(convBackwardSums(g, out), definition(g, out, 'backward'));
  });
});
