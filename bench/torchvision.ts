/**
 * InitWise's CI step beside the linters a project already runs (issue 16): `initwise check`
 * on torchvision 0.14's `models/` package (Debian's python3-torchvision: 60 files, ≈25,800
 * lines) as a whole process, next to `ruff check --select ALL --no-cache` and flake8 on the
 * same folder, and beside the same check with the WebAssembly parser forced (INITWISE_PARSER=wasm:
 * the CLI's parser where the native binding does not load). Runs are interleaved (InitWise,
 * InitWise on WebAssembly, InitWise with a warm cache, Ruff, flake8, …)
 * so the load of a shared machine hits all alike, and the ratio to Ruff is the median of the
 * per-round ratios. Peak memory and CPU time come from GNU time (`/usr/bin/time`), which
 * measures every process the same way. The files are copied to a temporary folder first
 * (InitWise's cache is written beside them; nothing is written into /usr).
 *
 * Targets: cold (`--no-cache`) at most 2× Ruff's time and under 100 MiB peak; warm (the
 * cache filled by a previous run, nothing changed) under Ruff's cold time. A tool that is not
 * installed is named in the table as missing, never replaced by another.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, summarize, type Summary } from './stats';

export const TORCHVISION_MODELS = '/usr/lib/python3/dist-packages/torchvision/models';
const GNU_TIME = '/usr/bin/time';

export interface ToolRun {
  readonly wall: Summary;
  /** Median user + system CPU time (ms), when GNU time is available. */
  readonly cpuMs: number | undefined;
  /** Largest peak resident set over the runs (MiB), when GNU time is available. */
  readonly maxRssMib: number | undefined;
}

export interface TorchvisionBench {
  readonly files: number;
  readonly lines: number;
  readonly initwise: ToolRun;
  /** The same cold check with web-tree-sitter forced (INITWISE_PARSER=wasm), the parser the CLI falls back on. */
  readonly initwiseWasm: ToolRun;
  /** Median over rounds of the cold time with the WebAssembly parser / the default (native where it loads). */
  readonly wasmRatio: number;
  readonly initwiseWarm: ToolRun;
  /** Undefined: the tool is not installed (the reason is in `missing`). */
  readonly ruff: ToolRun | undefined;
  readonly flake8: ToolRun | undefined;
  /** Median over rounds of InitWise's cold time / Ruff's, and of the warm time / Ruff's. */
  readonly ratioToRuff: number | undefined;
  readonly warmRatioToRuff: number | undefined;
  readonly ratioToFlake8: number | undefined;
  readonly missing: readonly string[];
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number | undefined;
  readonly rssMib: number | undefined;
}

function copyPythonFiles(from: string, to: string): { files: number; lines: number } {
  let files = 0;
  let lines = 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === '__pycache__') continue;
      fs.mkdirSync(target);
      const inner = copyPythonFiles(source, target);
      files += inner.files;
      lines += inner.lines;
    } else if (entry.name.endsWith('.py')) {
      const text = fs.readFileSync(source, 'utf8');
      fs.writeFileSync(target, text);
      files++;
      lines += text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    }
  }
  return { files, lines };
}

/** Is `command` runnable? (`--version` exits 0.) */
function installed(command: string): boolean {
  return spawnSync(command, ['--version'], { encoding: 'utf8' }).status === 0;
}

/** One whole-process run; exit codes 0 and 1 (findings) are both success for a linter. */
function timeOnce(command: string, args: readonly string[], cwd: string, useGnuTime: boolean, env?: NodeJS.ProcessEnv): Sample {
  const report = path.join(os.tmpdir(), `initwise-bench-time-${process.pid}.txt`);
  const [file, argv] = useGnuTime ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', report, command, ...args]] : [command, [...args]];
  const start = performance.now();
  const child = spawnSync(file, argv, { cwd, encoding: 'utf8', maxBuffer: 256 * 2 ** 20, ...(env ? { env: { ...process.env, ...env } } : {}) });
  const wallMs = performance.now() - start;
  if (child.status !== 0 && child.status !== 1) throw new Error(`${command} ${args.join(' ')} exited with ${child.status}: ${child.stderr.split('\n')[0]}`);
  if (!useGnuTime) return { wallMs, cpuMs: undefined, rssMib: undefined };
  const fields = fs.readFileSync(report, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  fs.rmSync(report, { force: true });
  return { wallMs, cpuMs: (fields[1]! + fields[2]!) * 1000, rssMib: fields[3]! / 1024 };
}

function toolRun(samples: readonly Sample[]): ToolRun {
  const cpu = samples.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
  const rss = samples.flatMap((s) => (s.rssMib === undefined ? [] : [s.rssMib]));
  return { wall: summarize(samples.map((s) => s.wallMs)), cpuMs: cpu.length > 0 ? median(cpu) : undefined, maxRssMib: rss.length > 0 ? Math.max(...rss) : undefined };
}

export function benchTorchvision(root: string, rounds = 7): TorchvisionBench | undefined {
  if (!fs.existsSync(TORCHVISION_MODELS)) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-torchvision-'));
  try {
    const { files, lines } = copyPythonFiles(TORCHVISION_MODELS, dir);
    const gnuTime = fs.existsSync(GNU_TIME);
    const cli = path.join(root, 'dist', 'cli.js');
    const missing: string[] = [];
    const hasRuff = installed('ruff');
    if (!hasRuff) missing.push('ruff (pip install ruff)');
    const hasFlake8 = installed('flake8');
    if (!hasFlake8) missing.push('flake8 (apt-get install flake8)');

    const tools = {
      initwise: () => timeOnce(process.execPath, [cli, 'check', '.', '--no-cache'], dir, gnuTime),
      initwiseWasm: () => timeOnce(process.execPath, [cli, 'check', '.', '--no-cache'], dir, gnuTime, { INITWISE_PARSER: 'wasm' }),
      initwiseWarm: () => timeOnce(process.execPath, [cli, 'check', '.'], dir, gnuTime),
      ruff: () => timeOnce('ruff', ['check', '--select', 'ALL', '--no-cache', '--quiet', '.'], dir, gnuTime),
      flake8: () => timeOnce('flake8', ['.'], dir, gnuTime),
    };
    // Warm-up: the page cache, and the filled result cache the warm runs read.
    fs.rmSync(path.join(dir, '.initwise_cache'), { recursive: true, force: true });
    tools.initwiseWarm();
    if (hasRuff) tools.ruff();

    const samples: Record<keyof typeof tools, Sample[]> = { initwise: [], initwiseWasm: [], initwiseWarm: [], ruff: [], flake8: [] };
    const wasmRatios: number[] = [];
    const ratios: number[] = [];
    const warmRatios: number[] = [];
    const flakeRatios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cold = tools.initwise();
      samples.initwise.push(cold);
      const wasm = tools.initwiseWasm();
      samples.initwiseWasm.push(wasm);
      wasmRatios.push(wasm.wallMs / cold.wallMs);
      const warm = tools.initwiseWarm();
      samples.initwiseWarm.push(warm);
      if (hasRuff) {
        const ruff = tools.ruff();
        samples.ruff.push(ruff);
        ratios.push(cold.wallMs / ruff.wallMs);
        warmRatios.push(warm.wallMs / ruff.wallMs);
      }
      // flake8 takes seconds: every other round is enough for its median.
      if (hasFlake8 && round % 2 === 0) {
        const flake8 = tools.flake8();
        samples.flake8.push(flake8);
        flakeRatios.push(cold.wallMs / flake8.wallMs);
      }
    }
    return {
      files,
      lines,
      initwise: toolRun(samples.initwise),
      initwiseWasm: toolRun(samples.initwiseWasm),
      wasmRatio: median(wasmRatios),
      initwiseWarm: toolRun(samples.initwiseWarm),
      ruff: hasRuff ? toolRun(samples.ruff) : undefined,
      flake8: hasFlake8 ? toolRun(samples.flake8) : undefined,
      ratioToRuff: hasRuff ? median(ratios) : undefined,
      warmRatioToRuff: hasRuff ? median(warmRatios) : undefined,
      ratioToFlake8: hasFlake8 ? median(flakeRatios) : undefined,
      missing,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
