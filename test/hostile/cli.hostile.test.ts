/**
 * Issue 12's hostile inputs through the real CLI, each under a time and memory budget
 * given to the process (budget.ts): a clean result is exit 0 or 1, no stack trace, and
 * the real finding or an explicit "too large / too deep to analyse" (IW003).
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Budget, type BudgetedRun, checkUnderBudget, DIST, folderWith, ROOT, STACK_TRACE } from './budget';
import * as inputs from './inputs';

/** The codes of the findings in text output (`path:line:col: CODE [severity] …`). */
function codesIn(stdout: string): string[] {
  return [...stdout.matchAll(/^\S+:\d+:\d+: (IW\d{3}) /gm)].map((m) => m[1]!);
}

function assertClean(run: BudgetedRun, budget: Budget): void {
  assert.equal(run.signal, null, run.signal === 'SIGKILL' ? `killed: the ${budget.seconds} s budget ran out` : `died of ${String(run.signal)} (over the ${budget.heapMb} MB heap?): ${run.stderr.slice(0, 300)}`);
  assert.ok(run.status === 0 || run.status === 1, `exit ${String(run.status)}; stderr: ${run.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(run.stderr, STACK_TRACE, 'no stack trace');
  assert.doesNotMatch(run.stdout, STACK_TRACE, 'no stack trace');
}

function check(file: string, content: string, budget: Budget, extra: readonly string[] = []): BudgetedRun {
  const run = checkUnderBudget([file, ...extra], folderWith({ [file]: content }), budget);
  assertClean(run, budget);
  return run;
}

describe('hostile inputs: the CLI (issue 12)', function () {
  this.timeout(120_000);

  it('1. a 64 KB .netdef line with 4,000 findings prints a bounded window per finding', () => {
    const budget = { seconds: 15, heapMb: 400 };
    const run = check('long.netdef', inputs.longNetdefLine(), budget);
    assert.equal(run.status, 1);
    assert.equal(codesIn(run.stdout).length, 3999, 'one finding per repeated option');
    assert.match(run.stdout, /option 'activation' is given twice/);
    const longest = Math.max(...run.stdout.split('\n').map((line) => line.length));
    assert.ok(longest <= 200, `every output line is short (the longest has ${longest} characters)`);
    assert.ok(run.stdout.length < 4_000_000, `output stays proportional to the findings (${run.stdout.length} bytes)`);
  });

  it('1. a Python line with 4,000 Linear/ReLU pairs prints a bounded window per finding', () => {
    const budget = { seconds: 30, heapMb: 600 };
    const run = check('long.py', inputs.longPythonLine(), budget);
    assert.ok(codesIn(run.stdout).filter((code) => code === 'IW301').length >= 3999, 'IW301 on every relu layer');
    const longest = Math.max(...run.stdout.split('\n').map((line) => line.length));
    assert.ok(longest <= 600, `every output line is short (the longest has ${longest} characters)`);
  });

  for (const [name, text] of [
    ['w = 1+1+…+1 with 2,000 terms', inputs.longSum()],
    ['nn.Sequential nested 800 deep', inputs.nestedSequential()],
    ['f( nested 1,000 deep', inputs.nestedCalls()],
  ] as const) {
    it(`2. ${name}: no stack overflow, and IW003 says what was not analysed`, () => {
      const run = check('deep.py', text, { seconds: 20, heapMb: 300 });
      assert.ok(codesIn(run.stdout).includes('IW003'), run.stdout.slice(0, 2000));
      assert.match(run.stdout, /Nested too deeply to analyse \(more than 200 levels\)/);
      assert.doesNotMatch(run.stdout, /All checks passed/);
    });
  }

  it('3. 130,000 layers with a finding each: every finding, no RangeError', () => {
    const budget = { seconds: 90, heapMb: 3000 };
    const run = check('many.netdef', inputs.manyFindings(), budget, ['--format', 'github']);
    assert.equal(run.status, 1);
    assert.equal(run.stdout.match(/^::error /gm)?.length, 129_999, 'IW104 on every hidden layer');
  });

  it('6. a 20 MB .netdef is checked within a heap of 10× its size', () => {
    const text = inputs.twentyMegabytes();
    // V8's old space capped at 10× the input; the rest of the process (code, young generation) is the fixed base.
    const budget = { seconds: 120, heapMb: Math.ceil((10 * text.length) / 2 ** 20) };
    const run = check('big.netdef', text, budget);
    assert.equal(run.status, 0);
    assert.equal(run.stdout, 'All checks passed.\n');
  });

  it('6. a 20 MB .netdef with 456,000 findings is reported within a heap of 10× its size', () => {
    const text = inputs.twentyMegabytesOfFindings();
    const folder = folderWith({ 'findings.netdef': text });
    // 220 MB of report: written to a file, not held by this test.
    const report = path.join(folder, 'report.txt');
    const out = fs.openSync(report, 'w');
    const heapMb = Math.ceil((10 * text.length) / 2 ** 20);
    const run = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, path.join(DIST, 'cli.js'), 'check', 'findings.netdef'], {
      cwd: folder, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '' }, timeout: 300_000, killSignal: 'SIGKILL',
    });
    fs.closeSync(out);
    assert.equal(run.signal, null, run.signal === 'SIGKILL' ? 'killed: the 300 s budget ran out' : `died of ${String(run.signal)}`);
    assert.equal(run.status, 1, `exit ${String(run.status)} (over the ${heapMb} MB heap?): ${run.stderr.slice(0, 500)}`);
    assert.equal(run.stderr, '');
    const size = fs.statSync(report).size;
    const fd = fs.openSync(report, 'r');
    const tail = Buffer.alloc(200);
    fs.readSync(fd, tail, 0, 200, size - 200);
    fs.closeSync(fd);
    assert.match(tail.toString('utf8'), /\nFound 456156 findings in 1 file \(0 errors, 456156 warnings, 0 info\)\.\n$/);
  });

  it('4. list.append in two nested range(1000) loops: a nest of 1,000,000 passes is read as a loop InitWise cannot follow, as one loop that long is (its layers unknown, nothing judged)', () => {
    const run = check('append.py', inputs.appendLoops(), { seconds: 20, heapMb: 400 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(codesIn(run.stdout), []);
  });

  it('4. the same million appends with the inner loop in a called function: the model is reported as too large to analyse', () => {
    const run = check('append.py', inputs.appendLoopsThroughCall(), { seconds: 20, heapMb: 400 });
    assert.deepEqual(codesIn(run.stdout), ['IW003']);
    assert.match(run.stdout, /append\.py:5:9: IW003 \[warning\] Too large to analyse: InitWise stopped here after 200,000 steps/);
  });

  it('5. 16,000 comment lines inside a def: analysed like the same file without them', () => {
    const run = check('comments.py', inputs.commentsInDef(), { seconds: 20, heapMb: 400 });
    assert.deepEqual(codesIn(run.stdout), ['IW301']);
    assert.match(run.stdout, /comments\.py:16005:20: IW301 /);
  });

  it('7. CR-only line ends in Python: the same findings as with LF, no false IW001', () => {
    const budget = { seconds: 20, heapMb: 300 };
    const lf = check('lf.py', inputs.mlpWithLineEnding('\n'), budget);
    const cr = check('cr.py', inputs.mlpWithLineEnding('\r'), budget);
    assert.deepEqual(codesIn(lf.stdout), ['IW301', 'IW301']);
    assert.equal(cr.stdout.replaceAll('cr.py', 'lf.py'), lf.stdout);
  });

  it('7. --fix writes CR line ends into a CR-only Python file', () => {
    const folder = folderWith({ 'cr.py': inputs.mlpWithLineEnding('\r') });
    const run = checkUnderBudget(['cr.py', '--fix', '--unsafe-fixes'], folder, { seconds: 20, heapMb: 300 });
    assert.equal(run.status, 0, run.stderr);
    const fixed = fs.readFileSync(path.join(folder, 'cr.py'), 'utf8');
    assert.match(fixed, /kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)/);
    assert.ok(!fixed.includes('\n'), 'no LF written into a CR-only file');
  });

  it('7. --fix writes CR line ends into a CR-only Python file: the LSTM forget-gate bias lines too', () => {
    const lstm = ['import torch.nn as nn', '', '', 'class Tagger(nn.Module):', '    def __init__(self, dim=128, hidden=256):', '        super().__init__()',
      '        self.lstm = nn.LSTM(dim, hidden, batch_first=True)', '        nn.init.orthogonal_(self.lstm.weight_hh_l0)', '', '    def forward(self, x):',
      '        out, _ = self.lstm(x)', '        return out', ''].join('\r');
    const folder = folderWith({ 'cr_lstm.py': lstm });
    const run = checkUnderBudget(['cr_lstm.py', '--fix', '--unsafe-fixes'], folder, { seconds: 20, heapMb: 300 });
    assert.equal(run.status, 0, run.stderr);
    const fixed = fs.readFileSync(path.join(folder, 'cr_lstm.py'), 'utf8');
    assert.match(fixed, /\r {8}self\.lstm\.bias_ih_l0\.data\[hidden:2 \* hidden\]\.fill_\(1\.0\)\r/);
    assert.ok(!fixed.includes('\n'), 'no LF written into a CR-only file');
  });

  it('8. a FIFO given as a path is refused at once (exit 2), not read forever', function () {
    if (process.platform === 'win32') this.skip();
    const folder = folderWith({});
    execFileSync('mkfifo', [path.join(folder, 'pipe.netdef')]);
    const run = checkUnderBudget(['pipe.netdef'], folder, { seconds: 10, heapMb: 200 });
    assert.equal(run.signal, null, 'killed: reading the FIFO blocked');
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^initwise: pipe\.netdef: not a regular file \(a named pipe\); only files and folders can be checked$/m);
  });

  // Discovery refuses a FIFO given as a path (above); a path that becomes one after discovery
  // reaches the file's job, which must refuse it as well: the job itself, run in a child
  // process under a time budget (before, a notebook's job read it with readFileSync and blocked).
  for (const name of ['pipe.ipynb', 'pipe.netdef', 'pipe.py']) {
    it(`8. a FIFO reaching the file job (${name}) is refused with a clear message, not read forever`, function () {
      if (process.platform === 'win32') this.skip();
      const folder = folderWith({});
      const fifo = path.join(folder, name);
      execFileSync('mkfifo', [fifo]);
      const job = {
        absolutePath: fifo, displayPath: name, languageId: name.endsWith('.netdef') ? 'netdef' : 'python', fix: 'none', write: false,
        wantNetworks: false, notebook: name.endsWith('.ipynb'),
      };
      const script = [
        `const { runFileJob } = require(${JSON.stringify(path.join(ROOT, 'server/src/cli/fileJob.ts'))});`,
        `const { DEFAULT_SETTINGS } = require(${JSON.stringify(path.join(ROOT, 'server/src/core/settings.ts'))});`,
        `process.stdout.write(String(runFileJob({ ...${JSON.stringify(job)}, settings: DEFAULT_SETTINGS }).error));`,
      ].join('\n');
      const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
      assert.equal(run.signal, null, 'killed: reading the FIFO blocked');
      assert.equal(run.stdout, `${name}: not a regular file (a named pipe)`, run.stderr.slice(0, 1000));
    });
  }

  it('a Python file over 5,000,000 characters gets IW003 instead of silence', () => {
    const run = check('huge.py', inputs.hugePython(), { seconds: 30, heapMb: 600 });
    assert.deepEqual(codesIn(run.stdout), ['IW003']);
    assert.match(run.stdout, /Too large to analyse: this file has [\d,]+ characters, and InitWise reads Python files of up to 5,000,000\./);
  });

  describe('smaller', () => {
    const budget = { seconds: 20, heapMb: 300 };

    it('after exit 2 (a missing file) stdout does not say "All checks passed."', () => {
      const folder = folderWith({ 'ok.netdef': 'network n {\n  input 8\n  dense 8 activation=relu init=he_normal\n}\n' });
      const run = checkUnderBudget(['ok.netdef', 'missing.netdef'], folder, budget);
      assert.equal(run.status, 2);
      assert.doesNotMatch(run.stdout, /All checks passed/);
      assert.equal(run.stdout, 'No findings in the files checked; 1 path could not be checked.\n');
    });

    it('control bytes in a message are escaped', () => {
      const run = check('ctl.netdef', 'network n {\n  input 8\n  dense 8 \u001b]0;x\u0007 activation=relu\n}\n', budget);
      assert.match(run.stdout, /IW001 \[error\] unexpected '\\x1b]'/);
      assert.ok(!run.stdout.includes('\u001b') && !run.stdout.includes('\u0007'), 'no raw control byte on stdout');
    });

    it('input 3x9007199254740992x9007199254740992 names the real problem: the size', () => {
      const run = check('big.netdef', 'network n {\n  input 3x9007199254740992x9007199254740992\n  dense 8 activation=relu\n}\n', budget);
      assert.match(run.stdout, /IW001 \[error\] every size of the input must be at most 9007199254740991, got 9007199254740992/);
    });

    it('an input whose product of sizes cannot be counted exactly is reported', () => {
      const run = check('wide.netdef', 'network n {\n  input 3x4000000000x4000000000\n  flatten\n  dense 8 activation=relu\n}\n', budget);
      assert.match(run.stdout, /IW001 \[error\] the input is too large: 3×4000000000×4000000000 elements is more than 9007199254740991/);
    });

    it('`initwise check ""` is a usage error, not a lint of the current folder', () => {
      const folder = folderWith({ 'bad.netdef': 'network n {\n  input 8\n  dense 8 activation=relu init=glorot_uniform\n}\n' });
      const run = checkUnderBudget([''], folder, budget);
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /an empty path was given/);
    });
  });

  it('.netdef: after a broken line, the rest of the network is still judged', () => {
    const text = 'network n {\n  input 8\n  dense activation=relu\n  dense 32 activation=tanh init=he_normal\n}\n';
    const run = check('recover.netdef', text, { seconds: 20, heapMb: 300 });
    assert.match(run.stdout, /recover\.netdef:3:3: IW001 \[error\] 'dense' needs UNITS/);
    // Its widths are unknown, but He's σ² = fan_in·Var(W) = 2 is not (issue 11 §6, issue 12).
    assert.match(run.stdout, /recover\.netdef:4:33: IW101 \[warning\] Weight scale ×2 of what tanh wants: `he_normal` \(scaled for the ReLU family\) under tanh; use glorot_uniform\. σ² = fan_in·Var\(W\) = 2 on this tanh layer/);
  });
});
