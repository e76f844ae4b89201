/**
 * The token-stream analytic pass on a 96-block transformer (d_model 4096, 32 heads, a
 * 16,384-wide GELU MLP, causal, 2,048 tokens: GPT-3-scale widths), issue 15's target: under
 * 5 ms warm. Each run simulates a fresh copy of the network (the pass memoises per network
 * object, which would otherwise time a cache lookup).
 */
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { NEVER_CANCELLED } from '../server/src/core/cancellation';
import { simulateAnalytic } from '../server/src/core/simulation/analytic';
import { summarize, type Summary } from './stats';

/**
 * A GPT-2-style pre-LN decoder in `.netdef` (GPT-2's init: std 0.02, output projections
 * 0.02/√(2·n_layer)); fed by a token embedding, or (`embedding: false`) by an input of the
 * model width, as the Monte-Carlo bench and its PyTorch twin take it.
 */
export function transformerNetdef(
  blocks: number, model: number, heads: number, causal: boolean,
  options: { readonly name?: string; readonly tokens?: number; readonly embedding?: boolean } = {},
): string {
  const hidden = 4 * model;
  const tokens = options.tokens ?? 2048;
  return [
    `network ${options.name ?? 'gpt'} framework=pytorch {`,
    ...(options.embedding === false
      ? [`  input ${model} tokens=${tokens}`]
      : [`  input tokens=${tokens}`, `  embedding 50257 ${model} init=normal(std=0.02)`]),
    `  repeat ${blocks} {`,
    '    residual {',
    '      layernorm',
    `      attention ${heads} causal=${causal} init=normal(std=0.02) out_init=normal(std=0.02/sqrt(2*${blocks}))`,
    '    }',
    '    residual {',
    '      layernorm',
    `      dense ${hidden} activation=gelu init=normal(std=0.02)`,
    `      dense ${model} init=normal(std=0.02/sqrt(2*${blocks}))`,
    '    }',
    '  }',
    '  layernorm',
    '}',
    '',
  ].join('\n');
}

export interface TransformerBench {
  readonly what: string;
  readonly cold: number;
  readonly warm: Summary;
}

export function benchTransformer(runs = 30): TransformerBench[] {
  return [false, true].map((causal) => {
    const network = analyze({ text: transformerNetdef(96, 4096, 32, causal), languageId: 'netdef' }).networks[0];
    if (!network || network.layers.length !== 1 + 96 * 6) throw new Error('expected the 96-block transformer');
    const time = () => {
      const t = performance.now();
      if (!simulateAnalytic({ ...network }, NEVER_CANCELLED)) throw new Error('the transformer did not simulate');
      return performance.now() - t;
    };
    const cold = time();
    const samples = Array.from({ length: runs }, time);
    return { what: `96 blocks, d_model 4096, 32 heads${causal ? ', causal' : ''}`, cold, warm: summarize(samples) };
  });
}
