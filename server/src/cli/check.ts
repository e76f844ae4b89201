/**
 * `initwise check`: find the configuration and the files, run each file's job (analyse,
 * fix) on all cores, print the report in the chosen format, and decide the exit status.
 * A path that cannot be read does not stop the others from being checked; it only turns
 * the status into 2. A bad configuration stops everything at once (status 2): checking
 * with settings the team did not mean would make the gate say something false.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../core/analyze';
import { resolveSettings, isExcluded, type SettingsOverrides } from '../core/config/resolve';
import type { Finding } from '../core/findings';
import type { PythonSupport } from '../core/frontends/types';
import { RULES } from '../core/rules/registry';
import { appendAll } from '../core/util/arrays';
import type { Settings } from '../core/settings';
import { LineIndex } from '../core/text';
import type { CheckCommand } from './args';
import { cacheKey, hashText, ResultCache, type CacheRead } from './cache';
import { ConfigError, ConfigFinder, loadConfigFile, type LoadedConfig } from './config/load';
import { discoverFiles, displayPath, type SourceFile } from './discover';
import { readSource, streamFileJob, type FileJob, type FileOutcome } from './fileJob';
import { unifiedDiff } from './formatters/diff';
import { renderGithub } from './formatters/github';
import { renderJson } from './formatters/json';
import { renderSarif } from './formatters/sarif';
import { countPerRule, renderStatistics } from './formatters/statistics';
import { chooseStyle, type Style } from './formatters/style';
import { renderFinding, renderSummary } from './formatters/text';
import { GitignoreStack } from './gitignore';
import { ExitCode, type CliIo } from './io';
import { NO_PROGRESS, PROGRESS_MIN_FILES, progressBar } from './progress';
import { runJobs } from './workers';
import { fixImportedModules } from './importedFixes';
import { fixUnusedSuppressions, reviseSuppressions } from './unusedSuppressions';
import { NotebookView } from './notebookView';

export interface CheckOptions {
  readonly version: string;
  /** The worker bundle (tests point it at dist/); default: next to the running script. */
  readonly workerScript?: string;
  /** .netdef files of this size or more are streamed into the text or GitHub report (default STREAM_MIN_BYTES; tests set 0). */
  readonly streamMinBytes?: number;
}

/**
 * A .netdef file this large is analysed while the text or GitHub report is written, its
 * findings printed batch by batch and never all held (fileJob.ts `streamFileJob`; issue 12:
 * 456,000 findings of a 20 MB file took 2.2 GB). Smaller files keep the result cache and
 * the worker threads; the report is the same byte for byte either way.
 */
export const STREAM_MIN_BYTES = 1024 * 1024;

/** The jobs whose findings are streamed into the report instead of collected (STREAM_MIN_BYTES). */
function streamedJobs(command: CheckCommand, jobs: readonly FileJob[], minBytes: number): Set<number> {
  const streamable = (command.format === 'text' || command.format === 'github') && !command.statistics && !command.diff && !command.fix;
  if (!streamable) return new Set();
  const size = (file: string) => {
    try {
      return fs.statSync(file).size;
    } catch {
      return 0;
    }
  };
  return new Set(jobs.flatMap((job, i) => (job.languageId === 'netdef' && !job.notebook && job.settings.simulation !== 'montecarlo' && size(job.absolutePath) >= minBytes ? [i] : [])));
}

/** Where each file's settings come from: one `--config` file, or the nearest one. */
export interface ConfigSource {
  configFor(folder: string): LoadedConfig | undefined;
}

function configSource(command: CheckCommand, io: CliIo): ConfigSource {
  const show = (absolutePath: string) => displayPath(absolutePath, io.cwd);
  if (command.config !== undefined) {
    const file = path.resolve(io.cwd, command.config);
    const loaded = loadConfigFile(file, command.config, true);
    return { configFor: () => loaded };
  }
  const finder = new ConfigFinder(show);
  return { configFor: (folder) => finder.forFolder(folder) };
}

const relativeTo = (root: string, absolutePath: string) => path.relative(root, absolutePath).split(path.sep).join('/');

export function settingsForFile(source: ConfigSource, file: string, overrides: SettingsOverrides): Settings {
  const loaded = source.configFor(path.dirname(file));
  return resolveSettings(loaded?.config ?? {}, loaded ? relativeTo(loaded.root, file) : undefined, overrides);
}

export { readSource } from './fileJob';

/** One file analysed on this thread, with its line index (`initwise report` uses it). */
export function analyseFile(file: SourceFile, text: string, settings: Settings, python?: PythonSupport) {
  const result = analyze({ text, languageId: file.languageId, python }, settings);
  return { path: file.displayPath, text, index: new LineIndex(text), result };
}

const blocksExit = (finding: Finding) => finding.severity === 'error' || finding.severity === 'warning';

export async function runCheck(command: CheckCommand, io: CliIo, options: CheckOptions): Promise<number> {
  warnAboutUnmatchedCodes(command, io);
  let jobs: FileJob[];
  let discoveryErrors: readonly string[];
  let discovered: readonly SourceFile[];
  let sources: readonly (LoadedConfig | undefined)[];
  try {
    const source = configSource(command, io);
    const gitignore = new GitignoreStack();
    const discovery = discoverFiles(command.paths, io.cwd, {
      isExcluded: (absolutePath, isDirectory) => {
        if (gitignore.isIgnored(absolutePath, isDirectory)) return true;
        const loaded = source.configFor(path.dirname(absolutePath));
        return loaded !== undefined && isExcluded(loaded.config, relativeTo(loaded.root, absolutePath));
      },
    });
    discovered = discovery.files;
    discoveryErrors = discovery.errors;
    sources = discovery.files.map((file) => source.configFor(path.dirname(file.absolutePath)));
    const overrides: SettingsOverrides = { select: command.select, extendSelect: command.extendSelect, ignore: command.ignore, simulation: command.simulate };
    const fix = command.fix || command.diff ? (command.unsafeFixes ? 'unsafe' : 'safe') : 'none';
    jobs = discovery.files.map((file) => ({
      absolutePath: file.absolutePath,
      displayPath: file.displayPath,
      languageId: file.languageId,
      ...(file.notebook ? { notebook: true } : {}),
      settings: settingsForFile(source, file.absolutePath, overrides),
      fix,
      write: command.fix,
      wantNetworks: command.format === 'json' && !command.statistics,
      projectRoot: io.cwd,
    }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`initwise: ${error.message}\n`);
    return ExitCode.Error;
  }

  const progress = io.stderrIsTTY === true && jobs.length >= PROGRESS_MIN_FILES ? progressBar((text) => io.stderr(text)) : NO_PROGRESS;
  // With fixes, files are rewritten: those runs analyse afresh and leave the cache alone.
  const cache = command.cache && !command.fix && !command.diff ? new CachedJobs(jobs, sources, io.cwd, options.version) : undefined;
  const outcomes: FileOutcome[] = new Array<FileOutcome>(jobs.length);
  const misses: number[] = [];
  const streamed = streamedJobs(command, jobs, options.streamMinBytes ?? STREAM_MIN_BYTES);
  jobs.forEach((job, i) => {
    if (streamed.has(i)) {
      outcomes[i] = { displayPath: job.displayPath, absolutePath: job.absolutePath, imported: [], text: '', original: undefined, findings: [], networks: undefined, fixesApplied: 0, error: undefined, deferred: job };
      return;
    }
    const hit = cache?.lookup(i);
    if (hit) outcomes[i] = hit;
    else misses.push(i);
  });
  const run = await runJobs(
    misses.map((i) => jobs[i]!),
    { threads: command.jobs, python: io.python, loadPython: io.loadPython, workerScript: options.workerScript, onProgress: (done, total) => progress.update(done + jobs.length - total, jobs.length) },
  );
  misses.forEach((jobIndex, i) => {
    outcomes[jobIndex] = run[i]!;
    cache?.store(jobIndex, run[i]!);
  });
  progress.clear();

  const errors = [...discoveryErrors, ...outcomes.flatMap((outcome) => (outcome.error ? [outcome.error] : []))];
  // Fixes of findings reached in imported modules, once per module (importedFixes.ts).
  const modulesFixed = fixImportedModules(outcomes.filter((outcome) => outcome.error === undefined), jobs[0]?.fix ?? 'none', command.fix, io.cwd);
  errors.push(...modulesFixed.errors);
  // IW901 across files: a module's suppression an importer used is not unused; only then are IW901 fixes applied.
  const jobByPath = new Map(jobs.map((job) => [job.absolutePath, job]));
  const revised = reviseSuppressions(withImportedFindings(modulesFixed.outcomes, io.cwd), (p) => jobByPath.get(p)?.settings);
  const suppressionsFixed = fixUnusedSuppressions(revised, jobs[0]?.fix ?? 'none', command.fix);
  errors.push(...suppressionsFixed.errors);
  const checked = suppressionsFixed.outcomes;
  const report = render(command, checked, io, options.version, errors.length);
  errors.push(...report.errors);
  for (const outcome of checked) if (outcome.warning) io.stderr(`initwise: warning: ${outcome.warning}\n`);
  for (const error of errors) io.stderr(`initwise: ${error}\n`);
  if (discovered.length === 0 && errors.length === 0) {
    io.stderr(`initwise: warning: no .netdef, .py or .ipynb files found in ${command.paths.join(', ')}\n`);
  }

  if (errors.length > 0) return ExitCode.Error;
  if (command.exitZero) return ExitCode.Clean;
  if (command.diff) return checked.some((outcome) => outcome.original !== undefined) ? ExitCode.Findings : ExitCode.Clean;
  return report.blocking || checked.some((outcome) => outcome.findings.some(blocksExit)) ? ExitCode.Findings : ExitCode.Clean;
}

/**
 * Findings a file's models reached inside the modules it imports belong to those modules'
 * files: added to a checked file's findings (once: the same code on the same span, found
 * through several importers or by the module's own analysis, is one finding), or reported
 * for a module the run did not check, after the checked files, in path order. A module
 * the run rewrote with fixes keeps only its own findings (the offsets were computed on the
 * text before the fixes).
 */
function withImportedFindings(outcomes: readonly FileOutcome[], cwd: string): FileOutcome[] {
  if (outcomes.every((o) => o.imported.length === 0)) return [...outcomes];
  const byPath = new Map<string, { outcome: FileOutcome; findings: Finding[]; keys: Set<string> }>();
  const keyOf = (f: Finding) => `${f.code}:${f.span.start}:${f.span.end}`;
  for (const outcome of outcomes) byPath.set(outcome.absolutePath, { outcome, findings: [...outcome.findings], keys: new Set(outcome.findings.map(keyOf)) });
  const extra = new Map<string, { outcome: FileOutcome; findings: Finding[]; keys: Set<string> }>();
  for (const outcome of outcomes) {
    for (const module of outcome.imported) {
      let slot = byPath.get(module.absolutePath) ?? extra.get(module.absolutePath);
      if (!slot) {
        const added: FileOutcome = {
          displayPath: displayPath(module.absolutePath, cwd), absolutePath: module.absolutePath, imported: [], text: module.text,
          original: module.original, findings: [], networks: [], fixesApplied: module.fixesApplied ?? 0, error: undefined,
        };
        slot = { outcome: added, findings: [], keys: new Set() };
        extra.set(module.absolutePath, slot);
      }
      if (slot.outcome.text !== module.text) continue;
      // importedFixes.ts counted the module's fixes on one importer's report of it.
      if (module.original !== undefined && slot.outcome.original === undefined) slot.outcome = { ...slot.outcome, original: module.original, fixesApplied: module.fixesApplied ?? 0 };
      for (const finding of module.findings) {
        if (slot.keys.has(keyOf(finding))) continue;
        slot.keys.add(keyOf(finding));
        slot.findings.push(finding);
      }
    }
  }
  const sorted = (findings: Finding[]) => findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code));
  return [
    ...outcomes.map((o) => ({ ...o, findings: sorted(byPath.get(o.absolutePath)!.findings) })),
    ...[...extra.values()].filter((e) => e.findings.length > 0 || e.outcome.original !== undefined).sort((a, b) => (a.outcome.displayPath < b.outcome.displayPath ? -1 : 1)).map((e) => ({ ...e.outcome, findings: sorted(e.findings) })),
  ];
}

/**
 * The result cache (cli/cache.ts) for this run's jobs: entries live beside the configuration
 * that applies to each file, or in the working folder; an entry's reads are the file, that
 * configuration file and every module of the workspace its analysis read or looked for.
 */
class CachedJobs {
  private readonly cache: ResultCache;
  private readonly version: string;
  private readonly configHashes = new Map<string, string | undefined>();
  private readonly build = engineBuild();

  constructor(
    private readonly jobs: readonly FileJob[],
    private readonly configs: readonly (LoadedConfig | undefined)[],
    private readonly cwd: string,
    version: string,
  ) {
    this.cache = new ResultCache(version);
    this.version = version;
  }

  private folder(i: number): string {
    return this.cache.folder(this.configs[i]?.root ?? this.cwd);
  }

  private key(i: number): string {
    const job = this.jobs[i]!;
    return cacheKey({ version: this.version, build: this.build, settings: job.settings, languageId: job.languageId, wantNetworks: job.wantNetworks, projectRoot: job.projectRoot });
  }

  lookup(i: number): FileOutcome | undefined {
    const job = this.jobs[i]!;
    // A notebook's outcome is its cells joined, not the file's text: notebooks are analysed every time.
    if (job.notebook) return undefined;
    const hit = this.cache.lookup(this.folder(i), job.absolutePath, this.key(i));
    if (!hit) return undefined;
    // The texts were just read and match the hashes the result was computed from.
    const imported = hit.result.imported.map((m) => ({ absolutePath: m.absolutePath, text: hit.texts.get(m.absolutePath)!, findings: m.findings, ...(m.silenced ? { silenced: m.silenced } : {}) }));
    return { displayPath: job.displayPath, absolutePath: job.absolutePath, imported, text: hit.texts.get(job.absolutePath)!, original: undefined, findings: hit.result.findings, networks: hit.result.networks, fixesApplied: 0, error: undefined };
  }

  store(i: number, outcome: FileOutcome): void {
    if (outcome.error !== undefined || outcome.contentHash === undefined) return;
    const job = this.jobs[i]!;
    // An entry's reads: the file, its configuration, and every module its analysis read or looked for.
    const reads: CacheRead[] = [{ path: job.absolutePath, hash: outcome.contentHash }];
    const config = this.configs[i]?.file;
    if (config !== undefined) {
      const hash = this.configHash(config);
      if (hash === undefined) return;
      reads.push({ path: config, hash });
    }
    appendAll(reads, outcome.dependencies ?? []);
    const imported = outcome.imported.map((m) => ({ absolutePath: m.absolutePath, findings: m.findings, ...(m.silenced ? { silenced: m.silenced } : {}) }));
    this.cache.store(this.folder(i), job.absolutePath, this.key(i), reads, { findings: outcome.findings, imported, networks: outcome.networks });
  }

  private configHash(file: string): string | undefined {
    if (!this.configHashes.has(file)) {
      let hash: string | undefined;
      try {
        hash = hashText(readSource(file));
      } catch {
        hash = undefined;
      }
      this.configHashes.set(file, hash);
    }
    return this.configHashes.get(file);
  }
}

/**
 * Which build of the engine is running, beyond its version number: the size and time of the
 * bundle (dist/cli.js), so results of an older build are never reused. Run from the
 * TypeScript sources (tests), the engine is many files: entries are then reused only within
 * this process.
 */
function engineBuild(): string {
  if (__filename.endsWith('.js')) {
    try {
      const stat = fs.statSync(__filename);
      return `${stat.size}:${stat.mtimeMs}`;
    } catch {
      // fall through: unknown build, nothing reused across processes
    }
  }
  return `process:${process.pid}:${SESSION}`;
}

const SESSION = Math.random().toString(36).slice(2);

interface ReportFile {
  readonly path: string;
  readonly text: string;
  readonly index: LineIndex;
  readonly findings: readonly Finding[];
  /** A notebook's cells: positions within them (cli/notebookView.ts). */
  readonly notebook?: NotebookView;
  readonly locate?: NotebookView['locate'];
  /** Analysed while the report is written (STREAM_MIN_BYTES). */
  readonly deferred?: FileJob;
}

/** What writing the report found out about the files analysed while it was written. */
interface StreamedReport {
  /** Files that could not be read or checked (exit 2). */
  readonly errors: readonly string[];
  /** A finding at warning or above among them. */
  readonly blocking: boolean;
}

const NOTHING_STREAMED: StreamedReport = { errors: [], blocking: false };

/** Writes the report to stdout (text in chunks: 450,000 findings are 230 MB of text, never one string). */
function render(command: CheckCommand, outcomes: readonly FileOutcome[], io: CliIo, version: string, unchecked: number): StreamedReport {
  const files: ReportFile[] = outcomes.map((outcome) => {
    // Made when a formatter first asks for it: most files of a check have no finding to place.
    let index: LineIndex | undefined;
    const file = {
      path: outcome.displayPath, text: outcome.text, get index() { return (index ??= new LineIndex(outcome.text)); }, findings: outcome.findings, ...(outcome.deferred ? { deferred: outcome.deferred } : {}),
    };
    if (!outcome.cells) return file;
    const notebook = new NotebookView(outcome.displayPath, outcome.text, outcome.cells);
    return { ...file, notebook, locate: notebook.locate };
  });
  const style = chooseStyle(io.isTTY, io.env);
  const write = (text: string) => {
    io.stdout(text);
    return NOTHING_STREAMED;
  };
  if (command.diff) return write(renderDiffs(outcomes, style));
  if (command.statistics) {
    const rows = countPerRule(files.flatMap((file) => file.findings));
    return write(command.format === 'json' ? JSON.stringify(rows, null, 2) + '\n' : renderStatistics(rows));
  }
  switch (command.format) {
    case 'json':
      return write(renderJson(outcomes.map((outcome, i) => ({ ...files[i]!, networks: outcome.networks ?? [] }))));
    case 'sarif':
      return write(renderSarif(files, version, io.cwd));
    case 'github':
      return writeGithub(files, (text) => io.stdout(text));
    case 'text':
      return writeText(files, outcomes, command, style, unchecked, (text) => io.stdout(text));
  }
}

/**
 * Each file's findings, in report order: collected ones, or those of a file analysed now
 * (`deferred`), batch by batch as the engine finalises them (fileJob.ts `streamFileJob`).
 */
function eachFileFindings(files: readonly ReportFile[], onFindings: (file: ReportFile, findings: readonly Finding[]) => void): StreamedReport {
  const errors: string[] = [];
  let blocking = false;
  for (const file of files) {
    if (!file.deferred) {
      onFindings(file, file.findings);
      continue;
    }
    const error = streamFileJob(file.deferred, (source, findings) => {
      blocking ||= findings.some(blocksExit);
      onFindings({ ...file, text: source.text, index: source.index }, findings);
    });
    if (error) errors.push(error);
  }
  return { errors, blocking };
}

function writeGithub(files: readonly ReportFile[], write: (text: string) => void): StreamedReport {
  return eachFileFindings(files, (file, findings) => {
    if (findings.length > 0) write(renderGithub([{ ...file, findings }]));
  });
}

/** Text output of this size or more is written out before more is rendered. */
const TEXT_CHUNK = 1 << 16;

function writeText(files: readonly ReportFile[], outcomes: readonly FileOutcome[], command: CheckCommand, style: Style, unchecked: number, write: (text: string) => void): StreamedReport {
  let out = '';
  const counts: Record<Finding['severity'], number> = { error: 0, warning: 0, info: 0, hint: 0 };
  const withFindings = new Set<string>();
  const streamed = eachFileFindings(files, (file, findings) => {
    if (findings.length > 0) withFindings.add(file.path);
    for (const finding of findings) {
      counts[finding.severity]++;
      const local = file.notebook?.localize(finding) ?? { view: file, finding };
      out += renderFinding(local.view, local.finding, { style, showFixDiffs: command.showFixes }) + '\n';
      if (out.length >= TEXT_CHUNK) {
        write(out);
        out = '';
      }
    }
  });
  if (command.fix) {
    const fixed = outcomes.reduce((sum, outcome) => sum + outcome.fixesApplied, 0);
    const changedFiles = outcomes.filter((outcome) => outcome.original !== undefined).length;
    out += style.bold(`Fixed ${fixed} ${fixed === 1 ? 'finding' : 'findings'} in ${changedFiles} ${changedFiles === 1 ? 'file' : 'files'}.`) + '\n';
  }
  write(out + renderSummary(counts, withFindings.size, style, unchecked + streamed.errors.length) + '\n');
  return streamed;
}

function renderDiffs(outcomes: readonly FileOutcome[], style: Style): string {
  let out = '';
  let fixes = 0;
  let files = 0;
  for (const outcome of outcomes) {
    if (outcome.original === undefined) continue;
    if (outcome.cellChanges) {
      // A notebook: the fixed cells' sources, not the JSON around them (which does not change).
      for (const change of outcome.cellChanges) out += unifiedDiff(change.before, change.after, `${outcome.displayPath}:cell ${change.cell}`, style) + '\n\n';
    } else {
      out += unifiedDiff(outcome.original, outcome.text, outcome.displayPath, style) + '\n\n';
    }
    fixes += outcome.fixesApplied;
    files++;
  }
  if (files === 0) return 'No fixes available.\n';
  return out + `Would fix ${fixes} ${fixes === 1 ? 'finding' : 'findings'} in ${files} ${files === 1 ? 'file' : 'files'}.\n`;
}

/** A typo in --select silently checks nothing; a warning makes that visible without failing CI. */
function warnAboutUnmatchedCodes(command: CheckCommand, io: CliIo): void {
  for (const [flag, codes] of [['--select', command.select], ['--extend-select', command.extendSelect], ['--ignore', command.ignore]] as const) {
    for (const code of codes) {
      if (!RULES.some((rule) => rule.meta.code.startsWith(code))) {
        io.stderr(`initwise: warning: ${flag} ${code} matches no rule (see \`initwise rule\` for the list)\n`);
      }
    }
  }
}
