/**
 * The fixed sinusoidal position table of "Attention is all you need" (§3.5) registered as a buffer
 * (`self.register_buffer('pe', pe)` with sin on the even columns and cos on the odd ones) read
 * and simulated (issue 15): E[p²] = 1/2 per element, its rows' cross moment and per-row means
 * from the definition over the stream's tokens (simulation/sinusoidalTable.ts), LayerNorm
 * removing those means per token. Checked against PyTorch
 * (test/reference/transformer/sinusoidal_position.json: the table's own statistics exactly; the
 * stream after it, the analytic pass within the seeds' spread and the Monte-Carlo pass within
 * PyTorch's seed spread). Anything else done to the table stays unknown.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { sinusoidalStatistics } from '../../server/src/core/simulation/sinusoidalTable';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface Measured {
  id: string; emb_std: number; order: 'pre' | 'post'; tokens: number; d_model: number; heads: number; mlp: number; n_layer: number; batch: number; max_len: number;
  table_m2: number; table_c: number; table_mu2: number; table_muc: number;
  per_seed: { input_m2: number; input_rho: number; stream_m2: number[]; stream_rho: number[] }[];
}

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW403', 'clean_sinusoidal_pytorch.py');
const fixture = fs.readFileSync(FIXTURE, 'utf8');

/** The measured model as code: the fixture, with the config's embedding init and block order. */
function codeOf(m: Measured): string {
  let text = fixture.replace('vocab=1000, dim=256, depth=4, heads=8, mlp=512', `vocab=1000, dim=${m.d_model}, depth=${m.n_layer}, heads=${m.heads}, mlp=${m.mlp}`);
  if (m.emb_std !== 1) text = text.replace('        self.pos = PositionalEncoding(dim)', `        self.pos = PositionalEncoding(dim)\n        nn.init.normal_(self.embed.weight, std=${m.emb_std})`);
  if (m.order === 'post') {
    text = text.replace('        x = x + self.attn(self.norm1(x))\n        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))',
      '        x = self.norm1(x + self.attn(x))\n        return self.norm2(x + self.fc2(F.gelu(self.fc1(x))))');
  }
  return text;
}

describe('python: a fixed sinusoidal position table (Vaswani et al. 2017) registered as a buffer', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/sinusoidal_position.json').results;

  function network(text: string, tokens?: number): Network {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Encoder');
    assert.ok(found, 'no network Encoder');
    // The model states no sequence length (the table has max_len rows): the measured one.
    return tokens === undefined ? found : { ...found, tokens };
  }

  it('reads the table: sin/cos of position × base^(−2i/d), 5000 rows of 256, added after the embedding; the tokens stay the assumed 128', () => {
    const n = network(fixture);
    assert.equal(n.unsimulable, undefined);
    const pos = n.ops[1]!;
    assert.ok(pos.op === 'positionTable');
    assert.deepEqual(pos.fixed, { kind: 'sinusoidal', base: 10000, width: 256, rows: 5000 });
    assert.equal(pos.secondMoment, 0.5);
    assert.equal(n.tokens, undefined);
  });

  it('the table\'s statistics over T rows are PyTorch\'s table\'s (float64 sums of the definition; PyTorch\'s table is float32: 1e-6)', () => {
    for (const m of measured) {
      const s = sinusoidalStatistics({ kind: 'sinusoidal', base: 10000, width: m.d_model, rows: m.max_len }, m.tokens);
      assert.equal(s.secondMoment, 0.5);
      assert.ok(Math.abs(s.secondMoment - m.table_m2) < 1e-6, `${m.id}: m2 ${s.secondMoment} vs ${m.table_m2}`);
      assert.ok(Math.abs(s.cross - m.table_c) < 1e-6, `${m.id}: cross ${s.cross} vs ${m.table_c}`);
      assert.ok(Math.abs(s.meanSquare - m.table_mu2) < 1e-6, `${m.id}: mean² ${s.meanSquare} vs ${m.table_mu2}`);
      assert.ok(Math.abs(s.meanCross - m.table_muc) < 1e-6, `${m.id}: mean cross ${s.meanCross} vs ${m.table_muc}`);
    }
  });

  for (const m of measured) {
    it(`${m.id}: analytic input exactly, every residual sum's second moment and token correlation within PyTorch's seed spread`, () => {
      const s = simulateTokenStream(network(codeOf(m), m.tokens), NEVER_CANCELLED);
      assert.ok(s, 'the token stream is simulated');
      const stream = s.stream.filter((p) => p.depth === 0);
      assert.equal(stream.length, 2 * m.n_layer);
      const input = stream[0]!.before;
      const inputSeeds = m.per_seed.map((p) => p.input_m2);
      assert.ok(withinSeedSpread(input, inputSeeds, 0.01, false), `input ${input} vs PyTorch ${inputSeeds.join(', ')}`);
      const failures: string[] = [];
      stream.forEach((p, i) => {
        const m2 = m.per_seed.map((seed) => seed.stream_m2[i]!);
        const rho = m.per_seed.map((seed) => seed.stream_rho[i]!);
        if (!withinSeedSpread(p.secondMoment, m2, 0.03, false)) failures.push(`sum ${i + 1}: ${p.secondMoment} vs PyTorch ${m2.join(', ')}`);
        if (!withinSeedSpread(p.correlation, rho, 0.015, true)) failures.push(`sum ${i + 1}: correlation ${p.correlation} vs PyTorch ${rho.join(', ')}`);
      });
      assert.deepEqual(failures, []);
    });

    it(`${m.id}: Monte-Carlo (the table's rows as PyTorch computes them) within PyTorch's seed spread`, function () {
      this.timeout(120_000);
      const n = network(codeOf(m), m.tokens);
      const runs = Array.from({ length: 4 }, (_, s) => {
        const run = simulateTokenMonteCarlo(n, { seed: 21 + s, batch: m.batch, gradientAtLogits: false }, NEVER_CANCELLED);
        assert.ok(run, 'the Monte-Carlo pass declined');
        assert.equal(run.tokens, m.tokens);
        return run.stream.filter((p) => p.depth === 0);
      });
      const failures: string[] = [];
      for (let i = 0; i < 2 * m.n_layer; i++) {
        const ours = runs.map((r) => r[i]!);
        const torchM2 = m.per_seed.map((seed) => seed.stream_m2[i]!);
        const torchRho = m.per_seed.map((seed) => seed.stream_rho[i]!);
        const dm = discrepancy(ours.map((p) => p.secondMoment), torchM2, { floor: 0.03 });
        const dr = discrepancy(ours.map((p) => p.correlation), torchRho, { scale: 'linear', floor: 0.01 });
        if (!(dm <= 1)) failures.push(`stream_m2[${i}] ${ours.map((p) => p.secondMoment.toPrecision(4)).join(', ')} vs ${torchM2.map((v) => v.toPrecision(4)).join(', ')}`);
        if (!(dr <= 1)) failures.push(`stream_rho[${i}] ${ours.map((p) => p.correlation.toPrecision(4)).join(', ')} vs ${torchRho.map((v) => v.toPrecision(4)).join(', ')}`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('the other spellings: a sequence-first buffer sliced [:x.size(0)], the frequencies as 1 / (10000 ** (arange / d)), position and div_term inline', () => {
    const variants: [string, string][] = [
      ['sequence first', fixture.replace('pe = pe.unsqueeze(0)', 'pe = pe.unsqueeze(0).transpose(0, 1)').replace('self.pe[:, :x.size(1)]', 'self.pe[:x.size(0), :]')],
      ['1 / (base ** …)', fixture.replace('torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))', '1 / (10000 ** (torch.arange(0, d_model, 2).float() / d_model))')],
      ['inline', fixture.replace('pe[:, 0::2] = torch.sin(position * div_term)', 'pe[:, 0::2] = torch.sin(torch.arange(0, max_len).float().unsqueeze(1) * div_term)')
        .replace('pe[:, 1::2] = torch.cos(position * div_term)', 'pe[:, 1::2] = torch.cos(torch.arange(0, max_len).float().unsqueeze(1) * div_term)')],
    ];
    for (const [what, text] of variants) {
      const n = network(text);
      assert.equal(n.unsimulable, undefined, what);
      const pos = n.ops[1]!;
      assert.ok(pos.op === 'positionTable' && pos.fixed?.base === 10000, what);
    }
  });

  const UNKNOWN: readonly [string, string][] = [
    ['sin on both halves', fixture.replace('pe[:, 1::2] = torch.cos(position * div_term)', 'pe[:, 1::2] = torch.sin(position * div_term)')],
    ['different arguments under sin and cos', fixture.replace('pe[:, 1::2] = torch.cos(position * div_term)', 'pe[:, 1::2] = torch.cos(position * div_term * 2)')],
    ['positions that do not start at 0', fixture.replace('torch.arange(0, max_len, dtype=torch.float)', 'torch.arange(1, max_len + 1, dtype=torch.float)')],
    ['a table scaled after it is built', fixture.replace("        self.register_buffer('pe', pe)", "        pe = pe * 0.1\n        self.register_buffer('pe', pe)")],
    ['an odd width', fixture.replace('vocab=1000, dim=256', 'vocab=1000, dim=255')],
    ['rows sliced from 1', fixture.replace('self.pe[:, :x.size(1)]', 'self.pe[:, 1:x.size(1) + 1]')],
  ];
  for (const [what, text] of UNKNOWN) {
    it(`${what}: not simulated, nothing reported`, () => {
      const n = network(text);
      assert.ok(n.unsimulable, what);
      assert.deepEqual(analyze({ text, languageId: 'python', python }).findings.map((f) => f.code), []);
    });
  }
});
