/**
 * The engine's one entry point. The language server, the CLI and the tests all call
 * analyze(), so what the editor shows, what CI fails on and what the tests assert
 * cannot drift apart.
 */
import { NEVER_CANCELLED, type CancellationSignal, throwIfCancelled } from './cancellation';
import type { Finding } from './findings';
import { escapeControls } from './format/controls';
import type { Network } from './ir';
import { parseNetdefSteps, type NetdefProgress, type OnNetdefNetwork } from './frontends/netdef/parse';
import { netdefDropoutFixes } from './frontends/netdef/fixBuilder';
import { MODULE_OFFSET_BASE, parsePythonSteps } from './frontends/python/parse';
import type { FrontendResult, LanguageId, ModuleDependency, ModuleRead, PythonSupport, ReachedBy } from './frontends/types';
import { RULES } from './rules/registry';
import type { RuleContext } from './rules/types';
import { DEFAULT_SETTINGS, ruleEnabled, type Settings } from './settings';
import { simulateAnalytic } from './simulation/analytic';
import type { AnalysisMemory } from './memory';
import { applySuppressions, type SilencedCode, withSuppressFixes } from './suppressions';
import { runToEnd, type Steps } from './steps';
import type { NetworkSimulation } from './simulation/types';
import { appendAll } from './util/arrays';
import { LineIndex, type Span } from './text';
import { forgetRecentConvSums } from './simulation/positionMap';

export interface AnalysisInput {
  readonly text: string;
  readonly languageId: LanguageId;
  /**
   * Simulations computed elsewhere (Monte-Carlo runs in a worker thread), indexed like the
   * networks the frontend returns; entries left undefined fall back to the analytic pass.
   */
  readonly simulations?: readonly (NetworkSimulation | undefined)[];
  /** The host's initialised Python parser; without it Python text yields no networks. */
  readonly python?: PythonSupport;
  /**
   * The document's memory of earlier analyses (incremental analysis): the language server
   * passes one per open document. The result is the same without it, only slower.
   */
  readonly memory?: AnalysisMemory;
  /**
   * False: the result's `networks` and `simulations` are empty, and each `.netdef` network
   * is dropped as soon as it is judged, so memory stays proportional to one network and the
   * findings (the CLI's text output; issue 12). Default true.
   */
  readonly keepNetworks?: boolean;
  /**
   * Findings handed out in position order, in batches, as soon as they are final; the
   * result's `findings` is then empty. A `.netdef` file read without keeping networks and
   * without suppression comments is streamed network by network, so its findings are never
   * all held (the CLI's text and GitHub output of a large file; issue 12: 456,000 findings
   * took 2.2 GB); anything else comes in one batch at the end.
   */
  readonly onFindings?: (findings: readonly Finding[]) => void;
}

export interface AnalysisResult {
  readonly networks: readonly Network[];
  /** Indexed like `networks`; undefined where a network's widths could not be resolved. */
  readonly simulations: readonly (NetworkSimulation | undefined)[];
  /** Sorted by position; filtered and re-levelled by the settings. */
  readonly findings: readonly Finding[];
  /**
   * Every file the analysis read besides the document, or looked for and did not find
   * (version undefined), with its version then: the result holds while they are unchanged.
   * Empty without a workspace (AnalysisInput.python.workspace).
   */
  readonly dependencies: readonly ModuleDependency[];
  /**
   * Imported modules whose code the document's models ran: the findings inside them, in
   * their own file's offsets and lines (a block class's layer is reported where it is
   * written, not at the document's call), and the document's calls that reached them.
   */
  readonly imported: readonly ImportedModuleFindings[];
  /** The imported modules whose nodes the networks may hold (a layer's span at or above a module's base lies in it: `locate`). */
  readonly modules: readonly ModuleRead[];
}

/** The 1-based line of an offset of the result in its own file (the document's `index`, or the imported module's text). */
export function lineOf(result: AnalysisResult, index: LineIndex): (offset: number) => number {
  return (offset) => {
    const at = locate(result, offset);
    return (at.text === undefined ? index : new LineIndex(at.text)).positionAt(at.offset).line + 1;
  };
}

/** Where an offset of the result lies: in the document (path undefined) or in an imported module, in that file's own offsets. */
export function locate(result: AnalysisResult, offset: number): { readonly path: string | undefined; readonly text: string | undefined; readonly offset: number } {
  if (offset < MODULE_OFFSET_BASE) return { path: undefined, text: undefined, offset };
  const base = Math.floor(offset / MODULE_OFFSET_BASE) * MODULE_OFFSET_BASE;
  const module = result.modules.find((m) => m.base === base);
  return { path: module?.path, text: module?.text, offset: offset - base };
}

export interface ImportedModuleFindings {
  readonly path: string;
  readonly version: string | undefined;
  /** Sorted by position; the document's settings and the module's own suppression comments applied. */
  readonly findings: readonly Finding[];
  /** The module's suppression comments that silenced these findings (its own IW901s must count them as used: reviseUnused). */
  readonly silenced: readonly SilencedCode[];
  readonly reachedBy: readonly ReachedBy[];
}

function* runFrontend(input: AnalysisInput, onNetwork: OnNetdefNetwork, settings: Settings): Steps<FrontendResult> {
  switch (input.languageId) {
    case 'netdef':
      return yield* parseNetdefSteps(input.text, onNetwork);
    case 'python':
      if (!input.python) return { networks: [], findings: [], dropoutFixes: { useAlphaDropout: () => undefined } };
      return yield* parsePythonSteps(input.text, input.python.parser, input.memory?.python, input.python.newEdit, input.python.withoutPrePass === true, input.python.workspace, settings.kerasVersion, input.python.treeReaders);
  }
}

export function analyze(
  input: AnalysisInput,
  settings: Settings = DEFAULT_SETTINGS,
  signal: CancellationSignal = NEVER_CANCELLED,
): AnalysisResult {
  return runToEnd(analyzeSteps(input, settings, signal));
}

/**
 * analyze() in steps (core/steps.ts): a yield after each Python unit, each `.netdef`
 * network and each network judged. The language server drives it a time slice at a time
 * and stops it (`return()`) when the document changes; run to the end, it is analyze().
 */
export function* analyzeSteps(
  input: AnalysisInput,
  settings: Settings = DEFAULT_SETTINGS,
  signal: CancellationSignal = NEVER_CANCELLED,
): Steps<AnalysisResult> {
  try {
    return yield* analysisSteps(input, settings, signal);
  } finally {
    // The conv sums remembered while simulating serve one analysis: the language server's
    // resident memory between analyses stays what it was before they were kept (issue 16).
    forgetRecentConvSums();
  }
}

function* analysisSteps(input: AnalysisInput, settings: Settings, signal: CancellationSignal): Steps<AnalysisResult> {
  const keep = input.keepNetworks !== false;
  const networks: Network[] = [];
  const simulations: (NetworkSimulation | undefined)[] = [];
  const raw: Finding[] = [];
  let index = 0;
  const sink = input.onFindings;
  // A suppression comment can act on (and report on) lines far from it: then the file's findings go out together.
  const streaming = sink !== undefined && !keep && input.languageId === 'netdef' && !input.text.includes('initwise');
  const lineIndex = streaming ? new LineIndex(input.text) : undefined;
  /** The frontend's findings already moved to `raw` (streaming). */
  let frontendTaken = 0;
  /** Hands out the findings that start before `below`: nothing reported later starts there. */
  const flush = (below: number) => {
    const ready: Finding[] = [];
    const later: Finding[] = [];
    for (const f of raw) (f.span.start < below ? ready : later).push(f);
    if (ready.length === 0) return;
    raw.length = 0;
    appendAll(raw, later);
    sink!(ownFindings(input.text, ready, settings, placesOf([], undefined, []), lineIndex));
  };
  // Rule results of a network reused unchanged from the last analysis are reused with it.
  let settingsKey: string | undefined;
  // Set once the frontend returns; .netdef networks are judged while it reads (streamed), so
  // IW103's dropout fixes, which rules need, are built from the text the same way first.
  const running: { frontend?: FrontendResult } = {};
  const dropoutFixes = input.languageId === 'netdef' ? netdefDropoutFixes(input.text) : undefined;

  // A .netdef network's results are remembered by its text (frontends/netdef/memory.ts).
  const netdefMemory = input.languageId === 'netdef' ? input.memory?.netdef : undefined;
  netdefMemory?.begin();
  const judge = (network: Network, extent?: Span) => {
    const i = index++;
    throwIfCancelled(signal);
    const given = input.simulations?.[i];
    const networkText = netdefMemory && extent && !given ? input.text.slice(extent.start, extent.end) : undefined;
    const remembered = given ? undefined
      : networkText !== undefined ? netdefMemory!.get(networkText, extent!, (settingsKey ??= JSON.stringify(settings)))
        : running.frontend?.backend?.get(network, (settingsKey ??= JSON.stringify(settings)));
    let simulation: NetworkSimulation | undefined;
    if (remembered) {
      simulation = remembered.simulation;
      appendAll(raw, remembered.findings);
    } else {
      simulation = given ?? simulateAnalytic(network, signal);
      const findings: Finding[] = [];
      // One context for every rule (each reports while its check runs): a context and a
      // closure per rule and network were ~0.8 MB of the 3,500-line benchmark file's
      // allocations (issue 16).
      let rule = RULES[0]!;
      const context: RuleContext = {
        network,
        simulation,
        settings,
        dropoutFixes: running.frontend?.dropoutFixes ?? dropoutFixes!,
        report: (f) =>
          findings.push({
            code: rule.meta.code,
            severity: f.severity ?? rule.meta.defaultSeverity,
            span: f.span,
            message: f.message,
            fixes: f.fixes ?? [],
            related: f.related ?? [],
          }),
      };
      for (const next of RULES) {
        if (!next.check || !ruleEnabled(settings, next.meta.code)) continue;
        throwIfCancelled(signal);
        rule = next;
        next.check(context);
      }
      appendAll(raw, findings);
      if (networkText !== undefined) netdefMemory!.set(networkText, extent!, (settingsKey ??= JSON.stringify(settings)), { simulation, findings });
      else if (!given) running.frontend?.backend?.set(network, { settingsKey: (settingsKey ??= JSON.stringify(settings)), simulation, findings });
    }
    if (keep) {
      networks.push(network);
      simulations.push(simulation);
    }
  };

  const onNetwork = (network: Network, progress?: NetdefProgress) => {
    judge(network, progress?.extent);
    if (!streaming || !progress) return;
    for (; frontendTaken < progress.findings.length; frontendTaken++) raw.push(progress.findings[frontendTaken]!);
    flush(progress.readTo);
  };
  const frontend = (running.frontend = yield* runFrontend(input, onNetwork, settings));
  throwIfCancelled(signal);
  for (; frontendTaken < frontend.findings.length; frontendTaken++) raw.push(frontend.findings[frontendTaken]!);
  for (const network of frontend.networks) {
    judge(network);
    yield;
  }
  netdefMemory?.complete();

  // Findings on layers of imported modules go to those modules' files (their offsets say which).
  const own = raw.filter((f) => f.span.start < MODULE_OFFSET_BASE);
  const workspace = input.python?.workspace;
  const places = placesOf(frontend.modules?.modules ?? [], workspace?.documentPath, workspace?.projectRoots ?? []);
  const imported = importedFindings(raw, frontend.modules?.modules ?? [], settings, places);
  const findings = ownFindings(input.text, own, settings, places, lineIndex);
  if (sink) sink(findings);
  return {
    networks, simulations, findings: sink ? [] : findings,
    dependencies: frontend.modules?.dependencies ?? [], imported, modules: frontend.modules?.modules ?? [],
  };
}

/**
 * The document's own findings as the user sees them: in the document's offsets, filtered
 * and re-levelled by the settings, suppression comments applied, sorted.
 */
function ownFindings(text: string, own: readonly Finding[], settings: Settings, places: Places, streamed: LineIndex | undefined): Finding[] {
  const filtered = finalizeFindings(own.map((f) => localized(f, 0, places)), settings);
  // Streamed (a text without directives, checked once): each batch only gets its suppress fixes.
  if (streamed) return finalizeFindings(withSuppressFixes(text, streamed, filtered), settings);
  // Suppression comments act on what the settings let through; IW901 findings then go
  // through the same select/ignore/severity step as every other finding.
  const suppressed = applySuppressions(text, filtered, settings);
  return finalizeFindings([...suppressed.kept, ...suppressed.unused], settings);
}

/**
 * The findings inside each imported module, moved to that module's own offsets, with its
 * suppression comments applied (an unused one there is its own analysis's to report).
 */
function importedFindings(raw: readonly Finding[], modules: readonly ModuleRead[], settings: Settings, places: Places): ImportedModuleFindings[] {
  const documentPath = places.documentPath;
  const out: ImportedModuleFindings[] = [];
  for (const module of modules) {
    const end = module.base + MODULE_OFFSET_BASE;
    const inside = raw.filter((f) => f.span.start >= module.base && f.span.start < end);
    if (inside.length === 0 && module.reachedBy.length === 0) continue;
    const models = [...new Set(module.reachedBy.flatMap((r) => (r.network === undefined ? [] : [r.network])))];
    const via = documentPath === undefined || models.length === 0 ? '' : ` (reached from ${models.length === 1 ? 'model' : 'models'} ${models.join(', ')} in ${places.documentName})`;
    const findings = inside.map((f) => localized({ ...f, message: f.message + via }, module.base, places));
    const { kept, silenced } = applySuppressions(module.text, finalizeFindings(findings, settings), settings);
    out.push({ path: module.path, version: module.version, findings: finalizeFindings(kept, settings), silenced, reachedBy: module.reachedBy });
  }
  return out;
}

/**
 * A finding in the offsets of the file at `base` (0: the document). Its fix edits lie in
 * that file too; a related location in another file keeps that file's path.
 */
/** The file of an offset: the document (base 0) or an imported module. */
interface Places {
  readonly documentPath: string | undefined;
  /** The document's path as messages name it: relative to its project root, else its file name. */
  readonly documentName: string;
  readonly modules: ReadonlyMap<number, string>;
}

function placesOf(modules: readonly ModuleRead[], documentPath: string | undefined, roots: readonly string[]): Places {
  const root = roots.find((r) => documentPath?.startsWith(r.endsWith('/') ? r : `${r}/`));
  const documentName = documentPath === undefined ? '' : root ? documentPath.slice(root.length).replace(/^\//, '') : documentPath.slice(documentPath.lastIndexOf('/') + 1);
  return { documentPath, documentName, modules: new Map(modules.map((m) => [m.base, m.path])) };
}

function localized(finding: Finding, base: number, places: Places): Finding {
  const inFile = (offset: number) => offset >= base && offset < base + MODULE_OFFSET_BASE;
  if (base === 0 && finding.related.every((r) => inFile(r.span.start))) return finding;
  const move = (span: Finding['span']) => ({ start: span.start - base, end: span.end - base });
  return {
    ...finding,
    span: move(finding.span),
    fixes: finding.fixes.filter((fix) => fix.edits.every((e) => inFile(e.span.start))).map((fix) => ({ ...fix, edits: fix.edits.map((e) => ({ span: move(e.span), newText: e.newText })) })),
    // A related location in another file keeps that file's path (and its own offsets).
    related: finding.related.flatMap((r) => {
      if (inFile(r.span.start)) return [{ ...r, span: move(r.span) }];
      const other = r.span.start < MODULE_OFFSET_BASE ? 0 : Math.floor(r.span.start / MODULE_OFFSET_BASE) * MODULE_OFFSET_BASE;
      const path = other === 0 ? places.documentPath : places.modules.get(other);
      return path === undefined ? [] : [{ span: { start: r.span.start - other, end: r.span.end - other }, message: r.message, path }];
    }),
  };
}

/**
 * Applies select/ignore and severity overrides, drops duplicates (a statement inside
 * `repeat 20 { … }` is one finding, not twenty), escapes control bytes in messages and
 * sorts by position.
 */
function finalizeFindings(findings: readonly Finding[], settings: Settings): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    if (!ruleEnabled(settings, f.code)) continue;
    const key = `${f.code}:${f.span.start}:${f.span.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const override = settings.severity[f.code];
    const severity = override && override !== 'off' ? override : f.severity;
    out.push({ ...f, severity, message: escapeControls(f.message) });
  }
  return out.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code));
}
