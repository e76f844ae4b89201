/**
 * The engine's one entry point. The language server, the CLI and the tests all call
 * analyze(), so what the editor shows, what CI fails on and what the tests assert
 * cannot drift apart.
 */
import { NEVER_CANCELLED, type CancellationSignal, throwIfCancelled } from './cancellation';
import type { Finding } from './findings';
import type { Network } from './ir';
import { parseNetdef } from './frontends/netdef/parse';
import { parsePython } from './frontends/python/parse';
import type { FrontendResult, LanguageId, PythonSupport } from './frontends/types';
import { RULES } from './rules/registry';
import { DEFAULT_SETTINGS, ruleEnabled, type Settings } from './settings';
import { simulateAnalytic } from './simulation/analytic';
import type { AnalysisMemory } from './memory';
import { applySuppressions } from './suppressions';
import type { NetworkSimulation } from './simulation/types';

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
}

export interface AnalysisResult {
  readonly networks: readonly Network[];
  /** Indexed like `networks`; undefined where a network's widths could not be resolved. */
  readonly simulations: readonly (NetworkSimulation | undefined)[];
  /** Sorted by position; filtered and re-levelled by the settings. */
  readonly findings: readonly Finding[];
}

function runFrontend(input: AnalysisInput): FrontendResult {
  switch (input.languageId) {
    case 'netdef':
      return parseNetdef(input.text);
    case 'python':
      if (!input.python) return { networks: [], findings: [], dropoutFixes: { useAlphaDropout: () => undefined } };
      return parsePython(input.text, input.python.parser, input.memory?.python, input.python.newEdit, input.python.withoutPrePass === true);
  }
}

export function analyze(
  input: AnalysisInput,
  settings: Settings = DEFAULT_SETTINGS,
  signal: CancellationSignal = NEVER_CANCELLED,
): AnalysisResult {
  const frontend = runFrontend(input);
  throwIfCancelled(signal);
  // Rule results of a network reused unchanged from the last analysis are reused with it.
  const settingsKey = frontend.backend ? JSON.stringify(settings) : '';
  const simulations: (NetworkSimulation | undefined)[] = [];
  const raw: Finding[] = [...frontend.findings];
  frontend.networks.forEach((network, i) => {
    const given = input.simulations?.[i];
    const remembered = given ? undefined : frontend.backend?.get(network, settingsKey);
    if (remembered) {
      simulations.push(remembered.simulation);
      raw.push(...remembered.findings);
      return;
    }
    const simulation = given ?? simulateAnalytic(network, signal);
    simulations.push(simulation);
    const findings: Finding[] = [];
    for (const rule of RULES) {
      if (!rule.check || !ruleEnabled(settings, rule.meta.code)) continue;
      throwIfCancelled(signal);
      rule.check({
        network,
        simulation,
        settings,
        dropoutFixes: frontend.dropoutFixes,
        report: (f) =>
          findings.push({
            code: rule.meta.code,
            severity: f.severity ?? rule.meta.defaultSeverity,
            span: f.span,
            message: f.message,
            fixes: f.fixes ?? [],
            related: f.related ?? [],
          }),
      });
    }
    raw.push(...findings);
    if (!given) frontend.backend?.set(network, { settingsKey, simulation, findings });
  });

  // Suppression comments act on what the settings let through; IW901 findings then go
  // through the same select/ignore/severity step as every other finding.
  const suppressed = applySuppressions(input.text, finalizeFindings(raw, settings), settings);
  return { networks: frontend.networks, simulations, findings: finalizeFindings([...suppressed.kept, ...suppressed.unused], settings) };
}

/**
 * Applies select/ignore and severity overrides, drops duplicates (a statement inside
 * `repeat 20 { … }` is one finding, not twenty) and sorts by position.
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
    // A configured severity wins; otherwise the finding's own (the rule's default, or its impact: rules/impact.ts).
    const severity = override && override !== 'off' ? override : f.severity;
    out.push({ ...f, severity });
  }
  return out.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code));
}
