/**
 * `initwise report` as a user runs it (the built dist/cli.js): the text table, --html
 * writing one self-contained file, --network selecting, and the exit codes.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, all, byId, parseHtml } from './support';

const cli = path.join(ROOT, 'dist', 'cli.js');

const TWO = [
  'network deep framework=pytorch {',
  '  input 64',
  '  repeat 8 {',
  '    dense 64 activation=relu',
  '  }',
  '  dense 10',
  '}',
  'network small framework=keras {',
  '  input 16',
  '  dense 16 activation=tanh init=glorot_normal',
  '  dense 2',
  '}',
  'network shapeless framework=keras {',
  '  dense 8 activation=relu init=he_normal',
  '}',
  '',
].join('\n');

function initwise(args: readonly string[], cwd: string) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('initwise report (dist/cli.js)', function () {
  this.timeout(30000);
  let dir: string;

  before(() => {
    if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it) before these tests');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-report-'));
    fs.writeFileSync(path.join(dir, 'two.netdef'), TWO);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names a ViT\'s stream input (class token and position table, their inits) and its tokens from the table\'s rows', () => {
    const fixture = path.join(ROOT, 'test', 'fixtures', 'rules', 'IW402', 'clean_vit.py');
    const out = initwise(['report', fixture, '--network', 'TimmInitViT'], dir);
    assert.equal(out.status, 0, out.stderr);
    assert.match(out.stdout, /^TimmInitViT \(pytorch\): stream ×2 over 24 branches/);
    assert.match(out.stdout, /residual stream \(197 tokens, from `num_patches \+ 1`\)/);
    assert.match(out.stdout, /stream input: 0\.306 \(class token: trunc_normal_\(std=\.02\), E\[t²\] 4\.00e-4; position table: trunc_normal_\(std=\.02\), E\[p²\] 4\.00e-4\)/);
  });

  it('names the constant factor on the tutorial\'s token embedding in its stream input (Monte-Carlo: its blocks are copies)', () => {
    const fixture = path.join(ROOT, 'test', 'fixtures', 'rules', 'IW402', 'clean_tutorial_pytorch.py');
    const out = initwise(['report', fixture, '--simulate', 'montecarlo'], dir);
    assert.equal(out.status, 0, out.stderr);
    // U(±0.1) rows: E[e²] = 1/300, ×200 by the factor, + 1/2 from the sinusoidal table, ÷0.8 by dropout 0.2.
    assert.match(out.stdout, /stream input: 1\.46 \(factor × math\.sqrt\(self\.d_model\) = 14\.1, E\[x²\] ×200; position table: sinusoidal/);
  });

  it('prints every network as a text table and exits 0', () => {
    const run = initwise(['report', 'two.netdef'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^deep \(pytorch\): signal ×\S+ over 9 layers · gradients ×\S+$/m);
    assert.match(run.stdout, /^ {2}with the recommended initializers \(8 layers changed\): signal ×\S+ · gradients ×\S+$/m);
    assert.match(run.stdout, /^ {2}# {2}line {2}layer {2}fan_in→fan_out {2}activation {2}init +Var\(W\) +forward +gradient +signal step +gradient step +recommended$/m);
    // The repeated statement is on line 4; the forward column carries the finite-width spread.
    assert.match(run.stdout, /^ {2}1 +4 +dense +64→64 +relu +PyTorch default kaiming_uniform_\(a=√5\) +0\.00521 +0\.333 \(\S+…\S+\) +\S+ \(\S+…\S+\) +0\.333 +0\.167 +he_normal$/m);
    assert.match(run.stdout, /^small \(keras\): signal ×\S+ over 2 layers · gradients ×\S+$/m);
    assert.match(run.stdout, /^shapeless \(keras\): signal: cannot simulate — input width unknown$/m);
  });

  it('--network selects one network', () => {
    const run = initwise(['report', 'two.netdef', '--network', 'small'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /deep|shapeless/);
    assert.match(run.stdout, /^small \(keras\)/);
  });

  it('--html writes one self-contained file and says where', () => {
    const out = path.join(dir, 'out.html');
    const before = new Set(fs.readdirSync(dir));
    const run = initwise(['report', 'two.netdef', '--html', 'out.html', '--network', 'deep'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'initwise: wrote the signal report of deep to out.html\n');
    const added = fs.readdirSync(dir).filter((f) => !before.has(f));
    assert.deepEqual(added, ['out.html'], 'exactly one file');
    const html = fs.readFileSync(out, 'utf8');
    const doc = parseHtml(html);
    const nonce = all(doc, (el) => el.tag === 'style')[0]!.attrs.nonce!;
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/, 'a fresh 16-byte nonce');
    assert.ok(html.includes(`style-src 'nonce-${nonce}'`));
    assert.equal(byId(doc, 'plot-forward').tag, 'svg');
    assert.equal(all(doc, (el) => el.tag === 'tr' && el.attrs['data-layer'] !== undefined).length, 9);

    const again = initwise(['report', 'two.netdef', '--html', 'out.html', '--network', 'deep'], dir);
    assert.equal(again.status, 0);
    const second = all(parseHtml(fs.readFileSync(out, 'utf8')), (el) => el.tag === 'style')[0]!.attrs.nonce;
    assert.notEqual(second, nonce, 'a new nonce per file');
  });

  it('--html without --network puts every network in the one file', () => {
    const run = initwise(['report', 'two.netdef', '--html', 'all.html'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, 'initwise: wrote the signal reports of 3 networks to all.html\n');
    const doc = parseHtml(fs.readFileSync(path.join(dir, 'all.html'), 'utf8'));
    assert.deepEqual(all(doc, (el) => el.tag === 'h1').map((h) => h.text), ['deep', 'small', 'shapeless']);
  });

  it('reads a PyTorch module from a .py file (the Python parser is loaded for it)', () => {
    fs.writeFileSync(
      path.join(dir, 'model.py'),
      [
        'import torch.nn as nn',
        'import torch.nn.functional as F',
        '',
        'class Mlp(nn.Module):',
        '    def __init__(self):',
        '        super().__init__()',
        '        self.fc1 = nn.Linear(128, 128)',
        '        self.fc2 = nn.Linear(128, 10)',
        '        nn.init.xavier_uniform_(self.fc1.weight)',
        '',
        '    def forward(self, x):',
        '        return self.fc2(F.relu(self.fc1(x)))',
        '',
      ].join('\n'),
    );
    const run = initwise(['report', 'model.py'], dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^Mlp \(pytorch\): signal ×\S+ over 2 layers · gradients ×\S+$/m);
    assert.match(run.stdout, /^ {2}1 +7 +dense +128→128 +relu +xavier_uniform_\(\)/m);
  });

  it('exits 2 with a one-line reason for usage errors, unknown networks, unreadable files and unwritable output', () => {
    const cases: [string[], RegExp][] = [
      [['report'], /^initwise: `initwise report` takes exactly one FILE/],
      [['report', 'a.netdef', 'b.netdef'], /takes exactly one FILE/],
      [['report', 'two.netdef', '--frobnicate'], /bad option '--frobnicate'/],
      [['report', 'two.netdef', '--html'], /--html/],
      [['report', 'missing.netdef'], /^initwise: missing\.netdef: no such file or directory$/],
      [['report', 'notes.txt'], /not a \.netdef, \.py or \.ipynb file/],
      [['report', 'two.netdef', '--network', 'nope'], /^initwise: two\.netdef: no network named 'nope' \(networks: deep, small, shapeless\)$/],
      [['report', 'two.netdef', '--html', 'no/such/dir/out.html'], /^initwise: cannot write no\/such\/dir\/out\.html: no such file or directory$/],
    ];
    for (const [args, message] of cases) {
      const run = initwise(args, dir);
      assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr.trim(), message, args.join(' '));
      assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
    }
  });

  it('has its own help, and the main help lists it', () => {
    const help = initwise(['report', '--help'], dir);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: initwise report FILE \[--html OUT\.html\] \[--network NAME\]/);
    assert.match(initwise(['--help'], dir).stdout, /initwise report FILE \[--html OUT\.html\] \[--network NAME\]/);
  });

  it('reads the nearest configuration file, as `initwise check` does (its band), and rejects a bad one with exit 2', () => {
    const configured = fs.mkdtempSync(path.join(dir, 'configured-'));
    fs.writeFileSync(path.join(configured, 'two.netdef'), TWO);
    const exitLayer = (stdout: string) => /^ {2}the signal leaves the band at layer (\d+)$/m.exec(stdout)?.[1];
    const defaults = initwise(['report', 'two.netdef', '--network', 'deep'], configured);
    assert.equal(exitLayer(defaults.stdout), '3', 'band 100 by default');
    fs.writeFileSync(path.join(configured, 'initwise.toml'), '[simulation]\nband = 2\n');
    const narrow = initwise(['report', 'two.netdef', '--network', 'deep'], configured);
    assert.equal(narrow.status, 0, narrow.stderr);
    assert.equal(exitLayer(narrow.stdout), '1', 'band 2 from initwise.toml');
    fs.writeFileSync(path.join(configured, 'initwise.toml'), '[simulation]\nband = "wide"\n');
    const bad = initwise(['report', 'two.netdef'], configured);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^initwise: initwise\.toml:2: simulation\.band: /m);
  });
  it('says where a Python transformer\'s token count came from: the position table, or assumed', () => {
    const gpt = path.join(ROOT, 'examples', 'pytorch_gpt_unscaled_branches.py');
    const text = fs.readFileSync(gpt, 'utf8');
    fs.writeFileSync(path.join(dir, 'gpt.py'), text);
    const read = initwise(['report', 'gpt.py', '--html', 'gpt.html'], dir);
    assert.equal(read.status, 0, read.stderr);
    assert.match(initwise(['report', 'gpt.py'], dir).stdout, /^ {2}residual stream \(256 tokens, from `config\.block_size`\): branch/m);
    assert.match(fs.readFileSync(path.join(dir, 'gpt.html'), 'utf8'), /256 tokens \(from `config\.block_size`, the position table&#39;s rows\)\./);
    // Without the position table the code states no length: 128 assumed.
    fs.writeFileSync(path.join(dir, 'gpt_no_positions.py'), text.replace('pos_emb = self.transformer.wpe(pos)', 'pass').replace('x = self.transformer.drop(tok_emb + pos_emb)', 'x = self.transformer.drop(tok_emb)'));
    assert.match(initwise(['report', 'gpt_no_positions.py'], dir).stdout, /^ {2}residual stream \(128 tokens, assumed\): branch/m);
  });
});
