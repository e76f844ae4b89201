/**
 * Synthetic but realistic .netdef text of a given length, for timing analyze(): many
 * networks mixing frameworks, widths, activations, initializers (good and bad),
 * comments, norms, dropout, repeats and residual blocks, so every part of the engine
 * (parser, simulation, every rule) does its real work. Deterministic: the same length
 * always gives the same text.
 */

const ACTIVATIONS = ['relu', 'tanh', 'gelu', 'selu', 'leaky_relu(0.2)', 'silu', 'sigmoid', 'elu(1.0)', 'linear'];
const INITS = ['he_normal', 'glorot_uniform', 'lecun_normal', 'kaiming_normal(nonlinearity=relu)', 'normal(std=0.02)', '', 'orthogonal', 'xavier_uniform(gain=1.5)'];
const FRAMEWORKS = ['keras', 'pytorch', 'flax'];
const WIDTHS = [64, 128, 256, 512];

/** A small linear congruential generator: enough variety, no dependence on Math.random. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function generateNetdef(targetLines: number): string {
  const random = lcg(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const lines: string[] = [];
  for (let n = 0; ; n++) {
    const network = generateNetwork(n, pick, random);
    if (lines.length + network.length > targetLines) break;
    lines.push(...network);
  }
  // Pad with comments to the exact length rather than cutting a network in half.
  while (lines.length < targetLines) lines.push('# padding');
  return lines.join('\n') + '\n';
}

function generateNetwork(n: number, pick: <T>(items: readonly T[]) => T, random: () => number): string[] {
  let width = pick(WIDTHS);
  const lines = [`# network ${n}: generated for the benchmark`, `network net_${n} framework=${pick(FRAMEWORKS)} {`, `  input ${width}`];
  const blocks = 6 + Math.floor(random() * 6);
  for (let b = 0; b < blocks; b++) {
    const activation = pick(ACTIVATIONS);
    const init = pick(INITS);
    const options = `activation=${activation}${init ? ` init=${init}` : ''}`;
    switch (Math.floor(random() * 5)) {
      case 0:
        width = pick(WIDTHS);
        lines.push('  repeat 4 {', `    dense ${width} ${options}`, '  }');
        break;
      case 1:
        // The branch must end at the width it started from: y = x + branch(x).
        lines.push('  residual scale=0.5 {', '    layernorm', `    dense ${4 * width} ${options}`, `    dense ${width} init=zeros`, '  }');
        break;
      case 2:
        width = pick(WIDTHS);
        lines.push(`  dense ${width} ${options}`, '  batchnorm', '  dropout 0.1');
        break;
      default:
        width = pick(WIDTHS);
        lines.push(`  dense ${width} ${options}`);
    }
  }
  lines.push('  dense 10 activation=softmax init=glorot_uniform', '}', '');
  return lines;
}
