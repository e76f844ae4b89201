/**
 * How analyze() scales with the number of findings in one Python file (hostile inputs): one
 * `nn.Sequential` of N Linear/ReLU pairs, each Linear on PyTorch's default (one IW301 each).
 * Work per finding must not grow with the file: 4× the pairs should cost about 4× the time.
 * A per-finding scan of the whole source or of every layer made it quadratic (20,000 pairs:
 * 28.8 s wall before session 8's fix, 7.7 s after, on a loaded machine), which no timed test
 * may assert; this row shows it.
 */
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { loadPythonSupport } from '../server/src/host/treeSitter';
import { summarize, type Summary } from './stats';

export function generateLongSequential(pairs: number): string {
  return `import torch.nn as nn\nm = nn.Sequential(${Array.from({ length: pairs }, () => 'nn.Linear(10, 10), nn.ReLU()').join(', ')})\n`;
}

export interface ScalingRun {
  readonly pairs: number;
  readonly summary: Summary;
  readonly findings: number;
}

export async function benchFindingScaling(sizes: readonly number[] = [2500, 10000], runs = 3): Promise<ScalingRun[]> {
  const python = await loadPythonSupport();
  return sizes.map((pairs) => {
    const text = generateLongSequential(pairs);
    const samples: number[] = [];
    let findings = 0;
    for (let i = 0; i < runs + 1; i++) {
      const start = performance.now();
      const result = analyze({ text, languageId: 'python', python });
      const elapsed = performance.now() - start;
      findings = result.findings.length;
      if (i > 0) samples.push(elapsed); // the first run compiles and fills the tables
    }
    return { pairs, summary: summarize(samples), findings };
  });
}
