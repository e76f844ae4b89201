/**
 * IW401 and IW402's PyTorch fixes through the real CLI (issue 15): `--fix --unsafe-fixes` on a
 * copy writes the edit in the file's own style, the file still parses, a second check finds the
 * finding gone, and the report still simulates the network (gone because the numbers are right,
 * not because the fixed code became unreadable).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STREAM_GROWTH_LIMIT } from '../../server/src/core/rules/IW402';
import { SATURATED_LOGIT_VARIANCE } from '../../server/src/core/rules/IW401';
import { initwise, project, ROOT } from './support';

const fixture = (rule: string, name: string) => fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'rules', rule, name), 'utf8');

/** Copies `text` as model.py, runs `check --fix --unsafe-fixes --select rule`, and returns the fixed text and the folder. */
function fixed(source: string, rule: string, remaining = 0): { text: string; dir: string } {
  const dir = project({ 'model.py': source });
  const run = initwise(['check', 'model.py', '--fix', '--unsafe-fixes', '--select', rule, '--no-cache'], dir);
  assert.match(run.stdout, /Fixed \d+ findings? in 1 file\.\n/);
  if (remaining === 0) assert.match(run.stdout, /All checks passed\.\n$/);
  else assert.match(run.stdout, new RegExp(`Found ${remaining} findings? in 1 file`));
  const text = fs.readFileSync(path.join(dir, 'model.py'), 'utf8');
  // A second check of the written file: still Python (no IW001), and only what was left.
  const again = initwise(['check', 'model.py', '--no-cache'], dir);
  assert.doesNotMatch(again.stdout, /IW001/);
  return { text, dir };
}

/** The report's one-line summary of each network over tokens (`GPT (pytorch): stream ×1.6 over 64 branches · …`). */
function summaries(dir: string): Map<string, string> {
  const run = initwise(['report', 'model.py'], dir);
  assert.equal(run.status, 0, run.stderr);
  return new Map([...run.stdout.matchAll(/^(\w+) \(pytorch\): (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function streamGrowth(summary: string | undefined): number {
  const m = /^stream ×([\d.e+]+) over \d+ branches/.exec(summary ?? '');
  assert.ok(m, `simulated: ${summary}`);
  return Number(m[1]);
}

describe('initwise check --fix: IW402 in PyTorch code', () => {
  it('inserts nanoGPT\'s own loop after self.apply(self._init_weights) (one init for every Linear), and the stream stops growing', () => {
    const before = fixture('IW402', 'fires_pytorch.py');
    assert.ok(streamGrowth(summaries(project({ 'model.py': before })).get('GPT')) > STREAM_GROWTH_LIMIT);
    const { text, dir } = fixed(before, 'IW402');
    const loop = [
      '        self.apply(self._init_weights)',
      "        # the residual branches' output projections scaled for depth (GPT-2)",
      '        for pn, p in self.named_parameters():',
      '            if pn.endswith("c_proj.weight"):',
      '                torch.nn.init.normal_(p, mean=0.0, std=0.034/math.sqrt(2 * config.n_layer))',
      '',
      '    def _init_weights(self, module):',
    ].join('\n');
    assert.equal(text, before.replace('        self.apply(self._init_weights)\n\n    def _init_weights(self, module):', loop));
    assert.ok(streamGrowth(summaries(dir).get('GPT')) < 2);
  });

  it('divides the std where each output projection is drawn, with the config in scope', () => {
    const before = fixture('IW402', 'fires_pytorch_per_layer.py');
    const { text, dir } = fixed(before, 'IW402');
    assert.equal(text, before
      .replace('nn.init.normal_(self.out.weight, std=0.05)', 'nn.init.normal_(self.out.weight, std=0.05/math.sqrt(2 * config.n_layer))')
      .replace('nn.init.normal_(self.proj.weight, mean=0.0, std=0.05)', 'nn.init.normal_(self.proj.weight, mean=0.0, std=0.05/math.sqrt(2 * config.n_layer))'));
    assert.ok(streamGrowth(summaries(dir).get('Decoder')) < STREAM_GROWTH_LIMIT);
  });

  it('names exactly the branch outputs in a tuple, with ** 0.5 where math is not imported and the literal depth', () => {
    const before = fixture('IW402', 'fires_pytorch_apply_loop.py');
    const { text, dir } = fixed(before, 'IW402');
    assert.ok(text.includes([
      '        self.apply(self._init_weights)',
      "        # the residual branches' output projections scaled for depth (GPT-2)",
      '        for pn, p in self.named_parameters():',
      '            if pn.endswith(("to_out.weight", "fc2.weight")):',
      '                nn.init.trunc_normal_(p, std=0.05/(2 * 24) ** 0.5)',
      '',
    ].join('\n')), text);
    assert.doesNotMatch(text, /import math/);
    assert.ok(streamGrowth(summaries(dir).get('Encoder')) < 2);
  });

  it('keeps tabs and CRLF line ends in the inserted loop', () => {
    const before = fixture('IW402', 'fires_pytorch_apply_loop.py').split('\n')
      .map((line) => line.replace(/^((?:    )+)/, (spaces) => '\t'.repeat(spaces.length / 4))).join('\r\n');
    const { text, dir } = fixed(before, 'IW402');
    assert.ok(text.includes([
      '\t\tself.apply(self._init_weights)',
      "\t\t# the residual branches' output projections scaled for depth (GPT-2)",
      '\t\tfor pn, p in self.named_parameters():',
      '\t\t\tif pn.endswith(("to_out.weight", "fc2.weight")):',
      '\t\t\t\tnn.init.trunc_normal_(p, std=0.05/(2 * 24) ** 0.5)',
      '',
    ].join('\r\n')), JSON.stringify(text));
    assert.doesNotMatch(text, /[^\r]\n/);
    assert.ok(streamGrowth(summaries(dir).get('Encoder')) < 2);
  });

  it('writes the loop with the init function\'s own call: a tensor method, and a std read from self', () => {
    const before = fixture('IW402', 'fires_pytorch_apply_loop.py')
      .replace('            nn.init.trunc_normal_(m.weight, std=0.05)', '            m.weight.data.normal_(mean=0.0, std=self.init_std)')
      .replace('        self.apply(self._init_weights)', '        self.init_std = 0.05\n        self.apply(self._init_weights)');
    const { text, dir } = fixed(before, 'IW402');
    assert.ok(text.includes([
      '        self.apply(self._init_weights)',
      "        # the residual branches' output projections scaled for depth (GPT-2)",
      '        for pn, p in self.named_parameters():',
      '            if pn.endswith(("to_out.weight", "fc2.weight")):',
      '                p.data.normal_(mean=0.0, std=self.init_std/(2 * 24) ** 0.5)',
    ].join('\n')), text);
    assert.ok(streamGrowth(summaries(dir).get('Encoder')) < 2);
  });

  it('offers nothing where the init call also sets q, k, v or no name for the depth is in scope', () => {
    const dir = project({ 'model.py': fixture('IW402', 'fires_pytorch_no_fix.py') });
    const run = initwise(['check', 'model.py', '--diff', '--unsafe-fixes', '--select', 'IW402', '--no-cache'], dir);
    assert.match(run.stdout, /No fixes available\./);
  });
});

describe('initwise check --fix: IW401 in PyTorch code', () => {
  it('scales unscaled logits in the file\'s spelling, and the softmax is no longer saturated', () => {
    const before = fixture('IW401', 'fires_pytorch_spellings.py');
    const { text, dir } = fixed(before, 'IW401', 1);
    const changed = text.split('\n').filter((line, i) => line !== before.split('\n')[i]);
    assert.deepEqual(changed, [
      '        att = F.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1))), dim=-1)',
      '        dots = torch.matmul(q, k.transpose(-1, -2)) * self.scale',
      '        att = (q @ k.transpose(2, 3)) / math.sqrt(self.head_dim)',
    ]);
    const after = summaries(dir);
    for (const name of ['HandWritten', 'ForgottenScale', 'OwnHeadWidth']) {
      const std = /logit std ≤ ([\d.]+)/.exec(after.get(name) ?? '');
      assert.ok(std && Number(std[1]) ** 2 <= SATURATED_LOGIT_VARIANCE, `${name}: ${after.get(name)}`);
    }
    // The q/k inits too large with the scale present: no fix, the finding stays.
    const again = initwise(['check', 'model.py', '--select', 'IW401', '--no-cache'], dir);
    assert.match(again.stdout, /the query and key initializers are too large/);
  });

  it('writes nanoGPT\'s spelling without math as ** -0.5, and drops a scale= that departs from scaled_dot_product_attention\'s default', () => {
    const before = fixture('IW401', 'fires_pytorch.py');
    const { text } = fixed(before, 'IW401');
    assert.equal(text, before
      .replace('        att = q @ k.transpose(-2, -1)\n', '        att = (q @ k.transpose(-2, -1)) * k.size(-1) ** -0.5\n')
      .replace('F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0)', 'F.scaled_dot_product_attention(q, k, v, is_causal=True)'));
  });
});
