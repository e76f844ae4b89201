/**
 * The analytic simulation alone on 1,000-layer networks (issue target: under 5 ms).
 * ReLU uses closed forms; GELU and tanh go through the interpolated quadrature tables
 * (cold: the first run fills them; warm: every run after).
 */
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { NEVER_CANCELLED } from '../server/src/core/cancellation';
import { simulateAnalytic } from '../server/src/core/simulation/analytic';
import { summarize, type Summary } from './stats';
import type { Network } from '../server/src/core/ir';

export interface AnalyticBench {
  readonly activation: string;
  readonly cold: number;
  readonly warm: Summary;
}

function deepNetwork(activation: string, layers: number): string {
  return `network deep framework=pytorch {\n  input 512\n  repeat ${layers} {\n    dense 512 activation=${activation} init=he_normal\n  }\n}\n`;
}

export function benchAnalytic(layers = 1000, runs = 50): AnalyticBench[] {
  return ['relu', 'gelu', 'tanh'].map((activation) => {
    const network = analyze({ text: deepNetwork(activation, layers), languageId: 'netdef' }).networks[0];
    if (!network || network.layers.length !== layers) throw new Error(`expected a ${layers}-layer network`);
    const { cold, warm } = timeSimulation(network, runs);
    return { activation, cold, warm };
  });
}

/** A 100-step LSTM, GRU and tanh RNN (hidden 512) through the analytic pass: what every edit of such a file re-simulates. */
export function benchRecurrent(runs = 50): AnalyticBench[] {
  return ['lstm 512', 'gru 512', 'rnn 512'].map((layer) => {
    const network = analyze({ text: `network seq framework=pytorch {\n  input 256\n  ${layer} steps=100\n  dense 10\n}\n`, languageId: 'netdef' }).networks[0];
    if (!network || network.layers.length !== 2) throw new Error('expected a recurrent network');
    const { cold, warm } = timeSimulation(network, runs);
    return { activation: layer.split(' ')[0]!, cold, warm };
  });
}

/** The first (cold) simulation of a network, then `runs` warm ones. */
function timeSimulation(network: Network, runs: number): { cold: number; warm: Summary } {
  const start = performance.now();
  simulateAnalytic(network, NEVER_CANCELLED);
  const cold = performance.now() - start;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    simulateAnalytic(network, NEVER_CANCELLED);
    samples.push(performance.now() - t);
  }
  return { cold, warm: summarize(samples) };
}
