/**
 * The frontend must never throw, whatever the input, and must stay linear in the size
 * of the file. Random bytes, random token soup and seeded mutations of real files go
 * through it; the invariants of the result are checked on every one. Performance cases
 * only have to complete (mocha's timeout is the bound); their times are printed.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { attentionProjections, type Network, type Op } from '../../server/src/core/ir';
import type { FrontendResult } from '../../server/src/core/frontends/types';
import { applyEdits, parseNetdef, wrap } from './netdefSupport';

/** mulberry32: a small deterministic generator, so a failure reproduces from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Every op in order; an attention's projections (weight layers of the network) follow it. */
function* walk(ops: readonly Op[]): Generator<Op> {
  for (const op of ops) {
    yield op;
    if (op.op === 'residual') yield* walk(op.body);
    if (op.op === 'attention') yield* attentionProjections(op);
  }
}

function checkSpan(span: { start: number; end: number }, length: number, what: string): void {
  assert.ok(Number.isInteger(span.start) && Number.isInteger(span.end), `${what}: integer offsets`);
  assert.ok(span.start >= 0 && span.start <= span.end && span.end <= length, `${what}: span ${span.start}-${span.end} outside 0-${length}`);
}

function checkNetwork(network: Network, length: number): void {
  checkSpan(network.span, length, 'network span');
  checkSpan(network.nameSpan, length, 'network name span');
  const walked = [...walk(network.ops)].filter((op) => op.op === 'layer');
  assert.equal(walked.length, network.layers.length, 'layers = weight layers of the ops, in order');
  network.layers.forEach((layer, i) => {
    assert.equal(layer.index, i);
    assert.equal(walked[i], layer);
    checkSpan(layer.span, length, 'layer span');
    checkSpan(layer.kindSpan, length, 'kind span');
    for (const fans of [layer.fans, layer.frameworkFans]) {
      if (fans) assert.ok(fans.fanIn > 0 && fans.fanOut > 0 && Number.isFinite(fans.fanIn) && Number.isFinite(fans.fanOut), 'fans positive');
    }
    assert.ok(Number.isFinite(layer.biasVariance) && layer.biasVariance >= 0, 'bias variance');
    assert.ok(layer.repeatInstance >= 0);
    assert.ok(layer.receptiveField >= 1 && layer.strideProduct >= 1);
    if (layer.init.span) checkSpan(layer.init.span, length, 'init span');
    for (const edits of [
      layer.fixes.setInitializer({ family: 'he_normal', negativeSlope: 0.1 }),
      layer.fixes.setActivation({ name: 'leaky_relu', param: 0.2 }),
      layer.fixes.setKaimingArguments({ nonlinearity: 'relu', a: 0 }),
    ]) {
      for (const edit of edits ?? []) checkSpan(edit.span, length, 'fix edit');
    }
  });
  for (const op of walk(network.ops)) {
    if (op.op !== 'layer') checkSpan(op.span, length, `${op.op} span`);
    if (op.op === 'dropout') assert.ok(op.rate >= 0 && op.rate < 1);
  }
}

/** Parses, asserting no exception, no internal error, and every invariant of the result. */
function check(text: string): FrontendResult {
  let result: FrontendResult;
  try {
    result = parseNetdef(text);
  } catch (error) {
    assert.fail(`parseNetdef threw on ${JSON.stringify(text.slice(0, 300))}: ${String(error)}`);
  }
  for (const finding of result.findings) {
    assert.ok(!finding.message.startsWith('internal error'), `${finding.message}\non ${JSON.stringify(text.slice(0, 300))}`);
    assert.ok(finding.code === 'IW001' || finding.code === 'IW002');
    assert.deepEqual(finding.related, []);
    // Messages quote at most a snippet of the source, whatever its size.
    assert.ok(finding.message.length <= 800, `message of ${finding.message.length} characters`);
    checkSpan(finding.span, text.length, finding.message);
    for (const fix of finding.fixes) for (const edit of fix.edits) checkSpan(edit.span, text.length, fix.title);
  }
  for (const network of result.networks) checkNetwork(network, text.length);
  return result;
}

const VOCABULARY = [
  'network', 'n', 'framework', '=', 'pytorch', 'keras', '{', '}', '{', '}', '\n', '\n', '\n', 'input', '784', '3x32x32', '2x8',
  'dense', 'conv1d', 'conv2d', 'conv3d', 'embedding', 'activation', 'batchnorm', 'layernorm', 'dropout', 'alphadropout',
  'flatten', 'repeat', 'residual', 'scale', 'kernel', 'stride', 'padding', 'groups', 'same', 'valid', 'init', 'bias',
  'use_bias', 'true', 'false', 'relu', 'rleu', 'leaky_relu', '(', ')', ',', '0.2', '1e-3', '-', '+', '*', '/', 'sqrt',
  'he_normal', 'kaiming_normal', 'mode', 'fan_out', 'nonlinearity', 'a', 'variance_scaling', 'normal', 'std', 'uniform',
  'limit', 'default', '#', "'", '"', '0', '1000000', '3x', '@', ' ', ' ', ' ', '\t', '\r\n', '😀', 'é',
];

function corpus(): string[] {
  const files: string[] = [
    wrap('  repeat 3 {\n    conv2d 8 kernel=3 padding=same init=he_normal\n    batchnorm\n    activation relu\n  }\n  flatten\n  dropout 0.5\n  dense 10 activation=softmax', { input: '3x16x16' }),
    wrap('  residual scale=0.5 {\n    dense 64 activation=leaky_relu(0.2) init=kaiming_normal(a=0.2, nonlinearity=leaky_relu)\n    dense 64 init=zeros\n  }\n  embedding 100 8 init=normal(std=0.02)', { framework: 'pytorch' }),
  ];
  for (const dir of ['examples', 'test/fixtures']) {
    const visit = (d: string): void => {
      if (!fs.existsSync(d)) return;
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, entry.name);
        if (entry.isDirectory()) visit(full);
        else if (entry.name.endsWith('.netdef')) files.push(fs.readFileSync(full, 'utf8'));
      }
    };
    visit(path.join(__dirname, '..', '..', dir));
  }
  return files;
}

function mutate(text: string, rand: () => number): string {
  let out = text;
  const steps = 1 + Math.floor(rand() * 4);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(rand() * (out.length + 1));
    const lines = out.split('\n');
    switch (Math.floor(rand() * 7)) {
      case 0: // delete a range
        out = out.slice(0, at) + out.slice(Math.min(out.length, at + 1 + Math.floor(rand() * 12)));
        break;
      case 1: // insert a token
        out = out.slice(0, at) + pick(rand, VOCABULARY) + out.slice(at);
        break;
      case 2: // insert a random code unit (possibly half a surrogate pair)
        out = out.slice(0, at) + String.fromCharCode(Math.floor(rand() * 0x10000)) + out.slice(at);
        break;
      case 3: { // duplicate a line
        const i = Math.floor(rand() * lines.length);
        lines.splice(i, 0, lines[i]!);
        out = lines.join('\n');
        break;
      }
      case 4: { // swap two lines
        const i = Math.floor(rand() * lines.length);
        const j = Math.floor(rand() * lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        out = lines.join('\n');
        break;
      }
      case 5: { // drop a brace
        const braces = [...out.matchAll(/[{}()]/g)].map((m) => m.index);
        if (braces.length > 0) {
          const i = pick(rand, braces);
          out = out.slice(0, i) + out.slice(i + 1);
        }
        break;
      }
      default: // replace a character
        out = out.slice(0, at) + pick(rand, VOCABULARY).slice(0, 1) + out.slice(at + 1);
    }
  }
  return out;
}

describe('netdef robustness', () => {
  it('never throws on random UTF-16 input', () => {
    const rand = random(1);
    for (let i = 0; i < 400; i++) {
      const length = Math.floor(rand() * 600);
      let text = '';
      for (let j = 0; j < length; j++) {
        text += rand() < 0.7 ? String.fromCharCode(32 + Math.floor(rand() * 95)) : String.fromCharCode(Math.floor(rand() * 0x10000));
      }
      check(text);
    }
  });

  it('never throws on random token soup', () => {
    const rand = random(2);
    for (let i = 0; i < 1500; i++) {
      const length = Math.floor(rand() * 120);
      const parts: string[] = [];
      for (let j = 0; j < length; j++) parts.push(pick(rand, VOCABULARY), rand() < 0.6 ? ' ' : '');
      check(parts.join(''));
    }
  });

  it('never throws on seeded mutations of valid files, and reads the unmutated lines', () => {
    const files = corpus();
    assert.ok(files.length >= 3);
    const rand = random(3);
    let withNetworks = 0;
    for (let i = 0; i < 3000; i++) {
      const mutated = mutate(pick(rand, files), rand);
      if (check(mutated).networks.some((n) => n.layers.length > 0)) withNetworks++;
    }
    // Recovery is the point: most mutated files still yield layers.
    assert.ok(withNetworks > 2400, `only ${withNetworks} of 3000 mutated files still had layers`);
  });

  it('the whole engine (analyze) survives the same mutations', () => {
    const files = corpus();
    const rand = random(4);
    for (let i = 0; i < 400; i++) {
      const mutated = mutate(pick(rand, files), rand);
      try {
        analyze({ text: mutated, languageId: 'netdef' });
      } catch (error) {
        assert.fail(`analyze threw on ${JSON.stringify(mutated)}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }
  });

  it('fixes applied to mutated files never make the frontend throw', () => {
    const files = corpus();
    const rand = random(5);
    for (let i = 0; i < 500; i++) {
      const text = mutate(pick(rand, files), rand);
      const result = check(text);
      for (const finding of result.findings) for (const fix of finding.fixes) check(applyEdits(text, fix.edits));
      for (const network of result.networks) {
        for (const layer of network.layers.slice(0, 3)) {
          const edits = layer.fixes.setInitializer({ family: 'glorot_uniform' });
          if (edits) check(applyEdits(text, edits));
        }
      }
    }
  });

  describe('size', () => {
    function timed(label: string, text: string): FrontendResult {
      const started = process.hrtime.bigint();
      const result = check(text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Printed for the record, never asserted (the machine's load varies).
      console.log(`      ${label}: ${(text.length / 1024).toFixed(0)} KiB in ${ms.toFixed(0)} ms`);
      return result;
    }

    it('parses a 20 000-line network', () => {
      const lines = Array.from({ length: 20_000 }, (_, i) => `  dense ${64 + (i % 7)} activation=${i % 2 ? 'relu' : 'tanh'} init=he_normal # layer ${i}`);
      const result = timed('20 000 lines', `network big framework=pytorch {\n  input 64\n${lines.join('\n')}\n}\n`);
      assert.deepEqual(result.findings, []);
      assert.equal(result.networks[0]!.layers.length, 20_000);
      assert.deepEqual(result.networks[0]!.layers[19_999]!.fans, { fanIn: 64 + (19_998 % 7), fanOut: 64 + (19_999 % 7) });
    });

    it('parses 20 000 lines that are all errors, one finding each', () => {
      const lines = Array.from({ length: 20_000 }, (_, i) => `  dense ${i + 1} activation=rleu${i}`);
      const result = timed('20 000 error lines', wrap(lines.join('\n')));
      assert.equal(result.findings.length, 20_000);
    });

    it('parses 5 000 networks', () => {
      const text = Array.from({ length: 5_000 }, (_, i) => `network n${i} {\n  input 8\n  dense 8\n}`).join('\n');
      assert.equal(timed('5 000 networks', text).networks.length, 5_000);
    });

    it('handles a megabyte on one line: options, garbage, digits, a name', () => {
      timed('1 MiB of options', wrap(`  dense 8${' init=zeros'.repeat(100_000)}`));
      timed('1 MiB of garbage', wrap(`  dense 8 ${'@$%^&'.repeat(200_000)}`));
      timed('1 MiB number', wrap(`  dense ${'9'.repeat(1_000_000)}`));
      const result = timed('1 MiB name', wrap(`  dense 8 activation=${'r'.repeat(1_000_000)}`));
      assert.equal(result.findings.length, 1);
      assert.ok(result.findings[0]!.message.length < 300);
    });

    it('keeps messages short when huge names appear in any position', () => {
      const huge = 'q'.repeat(200_000);
      const lines = [
        `network ${huge} {`, `  ${huge} 3 {`, `  }`, `  dense 4 ${huge}=1`, `  dense 4 init=${huge}(a=1`, `  dense 4 init=normal(${huge}=1)`,
        `  dense 4 activation=${huge}`, `  dense 4 init=kaiming_normal(nonlinearity=${huge})`, `  dense ${huge}(2)`, `  repeat 2 ${huge}=1`,
        `  dense 4 ${huge}=`, `}`, `${huge} 1`, `network ${huge} {`, '  residual {',
      ];
      const result = timed('huge names', lines.join('\n'));
      assert.ok(result.findings.length >= 10);
    });

    it('handles 100 000 nested braces and parentheses without recursion', () => {
      timed('100 000 nested repeats', `network deep {\n  input 4\n${'repeat 2 {\n'.repeat(100_000)}dense 4\n${'}\n'.repeat(100_000)}}\n`);
      timed('100 000 open parentheses', wrap(`  dense ${'('.repeat(100_000)}`));
      timed('100 000 stray braces', '}\n'.repeat(100_000));
      timed('100 000 unclosed blocks', `network open {\n  input 4\n${'residual {\n'.repeat(100_000)}`);
    });
  });
});
