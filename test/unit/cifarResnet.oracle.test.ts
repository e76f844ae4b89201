/**
 * pytorch-cifar's ResNet18 (kuangliu/pytorch-cifar models/resnet.py) against real PyTorch
 * (test/reference/cifar/resnet18_ground_truth.json: the network as model code in that file's
 * structure, measured over 8 seeds in training mode, batch 32, 32×32 inputs).
 *
 * Two things made its numbers what they are:
 * - the widths: `_make_layer` reads and reassigns `self.in_planes` (values followed in execution
 *   order, followedNames.ts), so each stage's first block reads the previous stage's width and
 *   every conv's fans are PyTorch's;
 * - the head `F.avg_pool2d(out, 4)`: with the input's size stated (`net(torch.randn(32, 3, 32,
 *   32))`) it is a global average over the 4×4 map, and the gradient before it is divided by the
 *   16 positions it averages. Without a size it was read as a step keeping the scale: the linear
 *   head's input ×2.4 and every gradient before it ~×330 of PyTorch's. Such a pool now makes the
 *   network say it is not simulated (trace.ts unreadPool) instead of showing those numbers.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { readReference } from '../support/reference';
import { pythonSupport } from '../support/python';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface CifarConfig {
  readonly id: string;
  readonly python: string;
  readonly results: {
    readonly layers: readonly string[];
    readonly per_seed: { readonly pre_m2: readonly (readonly number[])[]; readonly grad_in_m2: readonly (readonly number[])[] };
  };
}

const config = readReference<{ configs: CifarConfig[] }>('cifar/resnet18_ground_truth.json').configs[0]!;

/** Within PyTorch's seed spread (the analytic pass exact), or within 3% of its mean where the seeds agree more closely. */
function agrees(ours: number, seeds: readonly number[]): boolean {
  return discrepancy([ours], seeds, { exact: true }) <= 1 || withinSeedSpread(ours, seeds, 0.03, false);
}

/** `Conv2d(128, 64, 3, 3)` / `Linear(10, 512)` (PyTorch's weight shapes) as fans: in × kernel, out × kernel. */
function torchFans(layer: string): { fanIn: number; fanOut: number } {
  const [out, inp, ...kernel] = /\(([^)]*)\)/.exec(layer)![1]!.split(',').map((s) => Number(s.trim()));
  const taps = kernel.reduce((a, b) => a * b, 1);
  return { fanIn: inp! * taps, fanOut: out! * taps };
}

describe('pytorch-cifar ResNet18 vs PyTorch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  it('reads every width of `_make_layer` (self.in_planes in execution order): fans as PyTorch\'s', () => {
    const network = analyze({ text: config.python, languageId: 'python', python }).networks[0]!;
    assert.deepEqual(network.layers.map((l) => l.fans), config.results.layers.map(torchFans));
  });

  it('analytic: every layer\'s forward second moment and input gradient within PyTorch\'s seed spread', () => {
    const simulation = analyze({ text: config.python, languageId: 'python', python }).simulations[0];
    assert.ok(simulation, 'simulated');
    assert.equal(simulation.layers.length, config.results.layers.length);
    const misses: string[] = [];
    for (const [key, field] of [['pre_m2', 'forwardVariance'], ['grad_in_m2', 'gradientVariance']] as const) {
      simulation.layers.forEach((layer, l) => {
        const seeds = config.results.per_seed[key].map((seed) => seed[l]!);
        const ours = layer[field];
        if (!agrees(ours, seeds)) {
          const mean = seeds.reduce((a, b) => a + b, 0) / seeds.length;
          misses.push(`${key}[${l}] ${config.results.layers[l]}: ${ours.toPrecision(4)} vs PyTorch mean ${mean.toPrecision(4)} (×${(ours / mean).toFixed(3)})`);
        }
      });
    }
    assert.deepEqual(misses, []);
  });

  it('without a stated input size (the builder as pytorch-cifar writes it): not simulated, the pool named, never the dense view\'s numbers', () => {
    // pytorch-cifar's file ends with its builders; its sample call sits in an uncalled test().
    const builderOnly = config.python.replace(/\nnet = ResNet18\(\)\nnet\(torch\.randn\([^)]*\)\)\n$/, '\n');
    assert.notEqual(builderOnly, config.python);
    const result = analyze({ text: builderOnly, languageId: 'python', python });
    const index = result.networks.findIndex((n) => n.name === 'ResNet18');
    const network = result.networks[index]!;
    assert.deepEqual(network.layers.map((l) => l.fans), config.results.layers.map(torchFans), 'the widths do not need the size');
    assert.match(network.unsimulable ?? '', /`F\.avg_pool2d\(out, 4\)` pools a map whose size InitWise does not know/);
    assert.equal(result.simulations[index], undefined);
  });
});
