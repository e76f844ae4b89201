/**
 * `npm run bench`: times what users wait for and prints a table with the machine and
 * the date. It reports against the targets but never passes or fails on time: timings
 * depend on the machine, and a red CI run on a busy runner teaches nothing.
 *   (a) `initwise check examples` as a whole process (what CI and pre-commit hooks pay);
 *   (b) the language server's didChange → publishDiagnostics latency (what typing feels like);
 *   (c) analyze() alone on a 300-line and a 20,000-line .netdef file;
 *   (d) notebooks (bench/notebook.ts): one cell edited in a 100-cell notebook, and 50 MB of outputs;
 *   (e) `initwise check` on torchvision's models/ beside Ruff and flake8 (bench/torchvision.ts).
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { generateNetdef } from './generateNetdef';
import { benchAnalytic, benchRecurrent } from './analytic';
import { benchTransformer } from './transformer';
import { benchCliThroughput } from './cliThroughput';
import { benchLspLatency } from './lsp-latency';
import { benchHoverDuringLongAnalysis } from './lspResponsiveness';
import { benchMonteCarlo, benchPyTorch, MONTECARLO_CHILD_FLAG, runMonteCarloChild, type ProcessBench } from './montecarlo';
import {
  benchTransformerMonteCarlo, medianCpuSeconds, runTransformerMonteCarloChild, TRANSFORMER_MONTECARLO_CHILD_FLAG,
} from './transformerMonteCarlo';
import { benchNotebookEdit, benchNotebookOutputs } from './notebook';
import { benchPython } from './python';
import { benchFindingScaling } from './findingScaling';
import { benchWorkspaceIndex, benchWorkspaceRepublish } from './workspace';
import { benchTorchvision, TORCHVISION_MODELS, type ToolRun } from './torchvision';
import { benchParserLoaders } from './parserLoaders';
import { formatMs, markdownTable, summarize, type Summary } from './stats';

// Bundled to dist/bench/run.js; the repository root is two levels up.
const root = path.resolve(__dirname, '..', '..');

interface Row {
  readonly what: string;
  readonly result: Summary | Error;
  readonly target: string;
  readonly note?: string;
}

function timeCliCheck(runs: number): Summary {
  const cli = path.join(root, 'dist', 'cli.js');
  const samples: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const start = performance.now();
    const child = spawnSync(process.execPath, [cli, 'check', 'examples'], { cwd: root, encoding: 'utf8' });
    const elapsed = performance.now() - start;
    if (child.status !== 0 && child.status !== 1) throw new Error(`initwise check examples exited with ${child.status}: ${child.stderr}`);
    if (i > 0) samples.push(elapsed); // the first run warms the file-system cache
  }
  return summarize(samples);
}

function timeAnalyze(lines: number, runs: number): { summary: Summary; note: string } {
  const text = generateNetdef(lines);
  const first = analyze({ text, languageId: 'netdef' });
  const syntaxErrors = first.findings.filter((f) => f.code === 'IW001').length;
  if (syntaxErrors > 0) throw new Error(`the generated ${lines}-line file has ${syntaxErrors} syntax errors`);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    analyze({ text, languageId: 'netdef' });
    samples.push(performance.now() - start);
  }
  const layers = first.networks.reduce((sum, n) => sum + n.layers.length, 0);
  return { summary: summarize(samples), note: `${first.networks.length} networks, ${layers} weight layers, ${first.findings.length} findings` };
}

/** A row for a tool that is not installed: the table says so; it is not a failure of the bench. */
const NOT_RUN: Summary = { runs: 0, medianMs: Number.NaN, p95Ms: Number.NaN };

function attempt<T>(what: () => T): T | Error {
  try {
    return what();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Issue 15: the 12-block transformer's Monte-Carlo check beside the same measurement in PyTorch
 * (bench/transformerMonteCarlo.ts), at 1 sequence and at the default 4, each size's runs
 * interleaved with PyTorch's pair by pair.
 */
function transformerMonteCarloRows(): Row[] {
  const rows: Row[] = [];
  for (const sequences of [1, 4]) {
    const timed = attempt(() => benchTransformerMonteCarlo(root, sequences));
    const what = `Monte-Carlo, 12-block transformer (d_model 768, 128 tokens, causal), ${sequences} sequence${sequences > 1 ? 's' : ''}, fwd+bwd (whole process)`;
    if (timed instanceof Error) {
      rows.push({ what, result: timed, target: '≤ PyTorch' });
      continue;
    }
    const { ours, torch, medianRatio } = timed;
    rows.push({
      what,
      result: ours.wall,
      target: torch === undefined ? '≤ PyTorch' : `≤ PyTorch (${formatMs(torch.wall.medianMs)})`,
      note: `peak RSS ${ours.maxRssMib.toFixed(0)} MiB; work ${Number(ours.report.work_s).toFixed(2)} s; CPU ${medianCpuSeconds(ours).toFixed(2)} s; ${String(ours.report.threads)} threads` +
        (medianRatio === undefined ? '' : `; ${medianRatio.toFixed(2)}× PyTorch (median of interleaved pairs)`),
    });
    rows.push(torch === undefined
      ? { what: 'the same in PyTorch', result: NOT_RUN, target: '—', note: 'not run: python3-torch is not installed (apt-get install -y python3-torch libopenblas0-pthread)' }
      : {
        what: `the same in PyTorch (bench/pytorch_transformer_mc.py ${sequences}, import included)`,
        result: torch.wall,
        target: '—',
        note: `peak RSS ${torch.maxRssMib.toFixed(0)} MiB; import ${Number(torch.report.import_s).toFixed(2)} s, work ${Number(torch.report.work_s).toFixed(2)} s; CPU ${medianCpuSeconds(torch).toFixed(2)} s; ${String(torch.report.threads)} ATen threads, ${String(torch.report.os_threads)} in the process; BLAS ${String(torch.report.blas)}` +
          // Debian's python3-torch without libopenblas0-pthread runs on netlib's reference BLAS: no baseline to be measured against.
          (String(torch.report.blas).startsWith('reference') ? ' (NOT a fair baseline: apt-get install -y libopenblas0-pthread)' : ''),
      });
  }
  return rows;
}

/** Every row of the full benchmark, in the table's order. */
async function allRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const cli = attempt(() => timeCliCheck(20));
  rows.push({ what: '`initwise check examples` (whole process)', result: cli, target: 'median < 500 ms' });

  let lsp: Summary | Error;
  try {
    const latency = await benchLspLatency();
    lsp = { runs: latency.samples, medianMs: latency.medianMs, p95Ms: latency.p95Ms };
  } catch (error) {
    lsp = error instanceof Error ? error : new Error(String(error));
  }
  rows.push({ what: 'LSP didChange → publishDiagnostics', result: lsp, target: 'median < 20 ms' });
  let lspPython: Summary | Error;
  try {
    const latency = await benchLspLatency('python');
    lspPython = { runs: latency.samples, medianMs: latency.medianMs, p95Ms: latency.p95Ms };
  } catch (error) {
    lspPython = error instanceof Error ? error : new Error(String(error));
  }
  rows.push({ what: 'LSP didChange → publishDiagnostics, 3,500-line Python file', result: lspPython, target: '—', note: 'incremental analysis; includes the 10 ms debounce' });

  for (const long of ['many units', 'one unit'] as const) {
    const what = `LSP hover on another document while a long Python analysis runs (${long === 'many units' ? '40 model classes' : "issue 12's nested-append model, one unit"})`;
    try {
      const waited = await benchHoverDuringLongAnalysis(long);
      rows.push({ what, result: { runs: waited.samples, medianMs: waited.medianMs, p95Ms: waited.p95Ms }, target: '—', note: long === 'many units' ? 'answered between units' : 'a unit runs to its end: bounded by its step budget' });
    } catch (error) {
      rows.push({ what, result: error instanceof Error ? error : new Error(String(error)), target: '—' });
    }
  }

  try {
    const notebook = await benchNotebookEdit();
    rows.push({ what: 'LSP notebook: one cell edited → its diagnostics, 100-cell notebook', result: notebook.summary, target: 'median < 30 ms', note: `${notebook.note}; includes the 10 ms debounce` });
  } catch (error) {
    rows.push({ what: 'LSP notebook: one cell edited', result: error instanceof Error ? error : new Error(String(error)), target: 'median < 30 ms' });
  }
  const outputs = attempt(() => benchNotebookOutputs(root));
  if (outputs instanceof Error) rows.push({ what: '`initwise check` of a notebook with 50 MB of outputs', result: outputs, target: '—' });
  else {
    rows.push({ what: '`initwise check` of a 100-cell notebook (whole process)', result: outputs.plain, target: '—' });
    rows.push({ what: 'the same notebook with 50 MB of image outputs', result: outputs.huge, target: '≈ the line above', note: outputs.note });
    rows.push({ what: 'scanning that 50 MB notebook (parseNotebook alone)', result: outputs.scan, target: '—' });
  }

  for (const [lines, runs] of [[300, 50], [20_000, 5]] as const) {
    const timed = attempt(() => timeAnalyze(lines, runs));
    rows.push({
      what: `analyze(), ${lines.toLocaleString('en-US')}-line .netdef`,
      result: timed instanceof Error ? timed : timed.summary,
      target: '—',
      ...(timed instanceof Error ? {} : { note: timed.note }),
    });
  }

  // The analytic simulation alone on 1,000-layer networks (bench/analytic.ts).
  const recurrent = attempt(() => benchRecurrent());
  if (recurrent instanceof Error) rows.push({ what: 'analytic simulation, 100-step recurrent layer', result: recurrent, target: '—' });
  else {
    for (const run of recurrent) {
      rows.push({
        what: `analytic simulation, 100-step ${run.activation.toUpperCase()} (hidden 512, warm)`,
        result: run.warm,
        target: '—',
        note: `first run ${run.cold.toFixed(1)} ms (fills the gate-moment tables)`,
      });
    }
  }
  const analytic = attempt(() => benchAnalytic());
  if (analytic instanceof Error) rows.push({ what: 'analytic simulation, 1,000 layers', result: analytic, target: '< 5 ms' });
  else {
    for (const run of analytic) {
      rows.push({
        what: `analytic simulation, 1,000 ${run.activation} layers (warm)`,
        result: run.warm,
        target: '< 5 ms',
        note: `first run ${run.cold.toFixed(1)} ms (fills the moment tables)`,
      });
    }
  }

  // The token-stream pass of a 96-block transformer (bench/transformer.ts, issue 15).
  const transformer = attempt(() => benchTransformer());
  if (transformer instanceof Error) rows.push({ what: 'token-stream simulation, 96-block transformer', result: transformer, target: '< 5 ms' });
  else {
    for (const run of transformer) {
      rows.push({ what: `token-stream simulation, ${run.what} (warm)`, result: run.warm, target: '< 5 ms', note: `first run ${run.cold.toFixed(1)} ms` });
    }
  }

  // Python frontend (bench/python.ts): analyze() against tree-sitter's bare parse of the same file.
  try {
    const py = await benchPython();
    rows.push({ what: 'analyze(), 3,500-line Python file', result: py.analyze, target: '< 100 ms', note: py.note });
    rows.push({ what: 'tree-sitter parse alone, same file', result: py.parse, target: '—', note: `analyze / parse = ${py.ratio.toFixed(1)}× (target ≤ 2×)` });
    rows.push({ what: 'parse + one walk reading every named node (the floor through web-tree-sitter)', result: py.floor, target: '—', note: `${(py.floor.medianMs / py.parse.medianMs).toFixed(1)}× the parse` });
    rows.push({ what: 'Python re-analysis after a one-character edit', result: py.edit, target: 'median < 30 ms' });
  } catch (error) {
    rows.push({ what: 'Python frontend', result: error instanceof Error ? error : new Error(String(error)), target: '—' });
  }

  // Work per finding must not grow with the file (bench/findingScaling.ts): 4× the pairs, about 4× the time.
  try {
    const [small, large] = await benchFindingScaling();
    rows.push({ what: `analyze(), one Sequential of ${small!.pairs.toLocaleString('en-US')} Linear/ReLU pairs`, result: small!.summary, target: '—', note: `${small!.findings.toLocaleString('en-US')} findings` });
    rows.push({
      what: `analyze(), one Sequential of ${large!.pairs.toLocaleString('en-US')} Linear/ReLU pairs`,
      result: large!.summary,
      target: `≈ ${large!.pairs / small!.pairs}× the row above`,
      note: `${large!.findings.toLocaleString('en-US')} findings; ${(large!.summary.medianMs / small!.summary.medianMs).toFixed(1)}× the ${small!.pairs.toLocaleString('en-US')}-pair time (quadratic would be ${(large!.pairs / small!.pairs) ** 2}×)`,
    });
  } catch (error) {
    rows.push({ what: 'analyze() scaling with findings', result: error instanceof Error ? error : new Error(String(error)), target: '—' });
  }

  // The workspace, not one file (bench/workspace.ts).
  try {
    const index = await benchWorkspaceIndex();
    rows.push({ what: 'workspace import graph, 1,000 generated modules (the server\'s index, from scratch)', result: index.summary, target: '< 2 s', note: index.note });
  } catch (error) {
    rows.push({ what: 'workspace import graph, 1,000 generated modules', result: error instanceof Error ? error : new Error(String(error)), target: '< 2 s' });
  }
  try {
    const republish = await benchWorkspaceRepublish();
    rows.push({ what: 'one-character edit of a module 10 open documents import → all 10 republished', result: republish.summary, target: 'median < 100 ms', note: republish.note });
  } catch (error) {
    rows.push({ what: 'edit of an imported module → 10 importers republished', result: error instanceof Error ? error : new Error(String(error)), target: 'median < 100 ms' });
  }

  const throughput = attempt(() => benchCliThroughput(root));
  if (throughput instanceof Error) rows.push({ what: '`initwise check` on 1,000 generated files', result: throughput, target: '—' });
  else for (const row of throughput) {
    rows.push({
      what: `\`initwise check\` on 1,000 generated .${row.kind} files, ${row.threads === 'one' ? 'one thread (--jobs 1)' : `all ${os.availableParallelism()} cores`}`,
      result: row.wall,
      target: '—',
      note: `${Math.round(row.filesPerSecond).toLocaleString('en-US')} files/s; ${row.findings.toLocaleString('en-US')} findings`,
    });
  }

  // The CLI's two Python parsers on the same set (bench/parserLoaders.ts).
  try {
    const loaders = await benchParserLoaders();
    if (loaders) {
      // Medians of the rounds' CPU time (p95 not kept).
      const cpu = (ms: number): Summary => ({ runs: 9, medianMs: ms, p95Ms: Number.NaN });
      const set = `torchvision models/ (${loaders.files} files)`;
      if (loaders.native) {
        rows.push({ what: `native tree-sitter: parse ${set}, CPU`, result: cpu(loaders.native.parseMs), target: '—', note: `median of 9 rounds alternating with WebAssembly; ${(loaders.native.parseMs / loaders.wasm.parseMs).toFixed(2)}× WebAssembly's` });
        rows.push({ what: 'native tree-sitter: parse and read every node into the store, CPU', result: cpu(loaders.native.parseAndReadMs), target: '—', note: `${loaders.native.nodes.toLocaleString('en-US')} nodes; ${(loaders.native.parseAndReadMs / loaders.wasm.parseAndReadMs).toFixed(2)}× WebAssembly's` });
      } else {
        rows.push({ what: 'native tree-sitter parser', result: NOT_RUN, target: '—', note: `not loadable: ${loaders.nativeMissing ?? 'unknown'}` });
      }
      rows.push({ what: `web-tree-sitter: parse ${set}, CPU`, result: cpu(loaders.wasm.parseMs), target: '—' });
      rows.push({ what: 'web-tree-sitter: parse and read every node into the store, CPU', result: cpu(loaders.wasm.parseAndReadMs), target: '—' });
    }
  } catch (error) {
    rows.push({ what: 'parser loaders', result: error instanceof Error ? error : new Error(String(error)), target: '—' });
  }

  // The CI step beside Ruff and flake8 (bench/torchvision.ts).
  const tv = attempt(() => benchTorchvision(root));
  const toolNote = (run: ToolRun, extra = '') =>
    [run.maxRssMib === undefined ? undefined : `peak RSS ${run.maxRssMib.toFixed(0)} MiB`, run.cpuMs === undefined ? undefined : `CPU ${formatMs(run.cpuMs)}`, extra || undefined].filter(Boolean).join('; ');
  if (tv instanceof Error) rows.push({ what: '`initwise check` on torchvision models/', result: tv, target: '≤ 2× Ruff' });
  else if (tv === undefined) console.log(`torchvision rows skipped: ${TORCHVISION_MODELS} is missing (apt-get install -y python3-torchvision).\n`);
  else {
    const set = `torchvision 0.14 models/ (${tv.files} files, ${tv.lines.toLocaleString('en-US')} lines)`;
    const ruffMissing = tv.ruff === undefined ? 'Ruff is not installed: no ratio' : '';
    rows.push({
      what: `\`initwise check --no-cache\` on ${set} (whole process)`,
      result: tv.initwise.wall,
      target: '≤ 2× Ruff, < 100 MiB',
      note: toolNote(tv.initwise, tv.ratioToRuff === undefined ? ruffMissing : `${tv.ratioToRuff.toFixed(2)}× Ruff (paired)${tv.ratioToFlake8 === undefined ? '' : `, ${tv.ratioToFlake8.toFixed(2)}× flake8`}`),
    });
    rows.push({
      what: '`initwise check --no-cache`, same set, WebAssembly parser (INITWISE_PARSER=wasm)',
      result: tv.initwiseWasm.wall,
      target: '—',
      note: toolNote(tv.initwiseWasm, `${tv.wasmRatio.toFixed(2)}× the default parser's time (paired)`),
    });
    rows.push({
      what: '`initwise check` on the same set, warm cache (nothing changed)',
      result: tv.initwiseWarm.wall,
      target: '< Ruff cold',
      note: toolNote(tv.initwiseWarm, tv.warmRatioToRuff === undefined ? ruffMissing : `${tv.warmRatioToRuff.toFixed(2)}× Ruff cold (paired)`),
    });
    if (tv.ruff) rows.push({ what: '`ruff check --select ALL --no-cache`, same set', result: tv.ruff.wall, target: '—', note: toolNote(tv.ruff) });
    else rows.push({ what: 'Ruff, same set', result: NOT_RUN, target: '—', note: 'not installed (pip install ruff): no comparison' });
    if (tv.flake8) rows.push({ what: '`flake8`, same set', result: tv.flake8.wall, target: '—', note: toolNote(tv.flake8) });
    else rows.push({ what: 'flake8, same set', result: NOT_RUN, target: '—', note: 'not installed (apt-get install flake8): no comparison' });
  }

  const mc = attempt(() => benchMonteCarlo(root));
  const torch = attempt(() => benchPyTorch(root));
  const torchMedian = torch instanceof Error || !torch ? undefined : torch.wall.medianMs;
  const processNote = (bench: ProcessBench) =>
    `peak RSS ${bench.maxRssMib.toFixed(0)} MiB; last layer's forward m2 ${Number(bench.report.last_forward_m2).toPrecision(3)}`;
  rows.push({
    what: 'Monte-Carlo 50×512 dense, batch 256, fwd+bwd (whole process)',
    result: mc instanceof Error ? mc : mc.wall,
    target: torchMedian === undefined ? '≤ PyTorch (~1.3 s)' : `≤ PyTorch (${formatMs(torchMedian)})`,
    ...(mc instanceof Error ? {} : { note: processNote(mc) }),
  });
  if (torch === undefined) {
    console.log('PyTorch side skipped: python3-torch is not installed (apt-get install -y python3-torch libopenblas0-pthread).\n');
  } else {
    rows.push({
      what: 'the same in PyTorch (bench/pytorch_mc.py, import included)',
      result: torch instanceof Error ? torch : torch.wall,
      target: '—',
      ...(torch instanceof Error ? {} : { note: `${processNote(torch)}; import ${Number(torch.report.import_s).toFixed(2)} s, ${String(torch.report.threads)} threads` }),
    });
  }

  rows.push(...transformerMonteCarloRows());
  return rows;
}

async function main(): Promise<void> {
  if (process.argv.includes(MONTECARLO_CHILD_FLAG)) return runMonteCarloChild(); // bench/montecarlo.ts spawns this
  const transformerChild = process.argv.indexOf(TRANSFORMER_MONTECARLO_CHILD_FLAG);
  if (transformerChild >= 0) return runTransformerMonteCarloChild(Number(process.argv[transformerChild + 1])); // bench/transformerMonteCarlo.ts
  const cpus = os.cpus();
  console.log(`# InitWise benchmarks, ${new Date().toISOString()}\n`);
  console.log(
    `machine: ${os.type()} ${os.release()} (${os.arch()}), ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}\n`,
  );

  const loadNote = () => `load average ${os.loadavg().map((load) => load.toFixed(2)).join(', ')} (1, 5, 15 min)`;
  console.log(`at the start: ${loadNote()}\n`);
  // `node dist/bench/run.js --only transformer-montecarlo`: issue 15's side-by-side rows alone.
  const only = process.argv.indexOf('--only');
  if (only >= 0 && process.argv[only + 1] !== 'transformer-montecarlo') throw new Error('--only takes transformer-montecarlo');
  const rows: Row[] = only >= 0 ? transformerMonteCarloRows() : await allRows();
  console.log(`at the end: ${loadNote()}\n`);
  console.log(
    markdownTable(
      ['measurement', 'runs', 'median', 'p95', 'target', 'notes'],
      rows.map((row) =>
        row.result instanceof Error
          ? [row.what, '—', '—', '—', row.target, `failed: ${row.result.message.split('\n')[0]}`]
          : [row.what, String(row.result.runs), formatMs(row.result.medianMs), formatMs(row.result.p95Ms), row.target, row.note ?? ''],
      ),
    ),
  );
  // Failures to run (not slowness) are errors: the table says which, and the status is 1.
  if (rows.some((row) => row.result instanceof Error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
