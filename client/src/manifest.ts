/**
 * What package.json contributes for the client: the settings schema and the commands.
 * Built from the rule registry, so every rule has a severity setting and no setting
 * names a rule that does not exist; test/lsp/manifest.test.ts fails when package.json
 * drifts from this (and rewrites it under UPDATE_GOLDEN=1).
 *
 * The extension bundles only rulesFromManifest() (esbuild drops the rest): VS Code
 * reads the manifest, not this file.
 */
import type { RuleMeta } from '../../server/src/core/rules/types';
import { CLIENT_COMMANDS, CONFIGURATION_DEFAULTS, SEVERITY_LEVELS, SIMULATION_MODES } from '../../server/src/protocol';

export interface CommandContribution {
  command: string;
  title: string;
  category: string;
}

export function commandContributions(): CommandContribution[] {
  return [
    { command: CLIENT_COMMANDS.showSignalReport, title: 'Show Signal Report', category: 'InitWise' },
    { command: CLIENT_COMMANDS.fixAllInFile, title: 'Fix All Safe Fixes in File', category: 'InitWise' },
    { command: CLIENT_COMMANDS.runMonteCarlo, title: 'Run Monte-Carlo Simulation', category: 'InitWise' },
    { command: CLIENT_COMMANDS.restartServer, title: 'Restart Server', category: 'InitWise' },
    { command: CLIENT_COMMANDS.showRuleDocs, title: 'Open Rule Docs', category: 'InitWise' },
  ];
}

/** A rule as the client lists it (the *Open Rule Docs* picker), without loading the engine. */
export interface RuleListing {
  code: string;
  name: string;
  summary: string;
}

function severityDescription(rule: Pick<RuleMeta, 'name' | 'defaultSeverity' | 'summary'>): string {
  return `\`${rule.name}\` (default: ${rule.defaultSeverity}). ${rule.summary}`;
}

/**
 * The rules, read back from the installed manifest's per-rule severity settings, which
 * configurationContribution() writes from the registry (test/client checks the round
 * trip), so the client bundle does not carry the engine's rule modules.
 */
export function rulesFromManifest(packageJson: unknown): RuleListing[] {
  const severity = (packageJson as { contributes?: { configuration?: { properties?: Record<string, { properties?: unknown }> } } })
    ?.contributes?.configuration?.properties?.['initwise.severity']?.properties;
  if (typeof severity !== 'object' || severity === null) return [];
  const rules: RuleListing[] = [];
  for (const [code, schema] of Object.entries(severity as Record<string, { markdownDescription?: unknown }>)) {
    const description = typeof schema?.markdownDescription === 'string' ? schema.markdownDescription : '';
    const match = /^`([^`]*)` \(default: [a-z]+\)\. ([\s\S]*)$/.exec(description);
    rules.push({ code, name: match?.[1] ?? '', summary: match?.[2] ?? description });
  }
  return rules.sort((a, b) => a.code.localeCompare(b.code));
}

export function configurationContribution(rules: readonly RuleMeta[]): Record<string, unknown> {
  const severityProperties: Record<string, unknown> = {};
  for (const rule of [...rules].sort((a, b) => a.code.localeCompare(b.code))) {
    severityProperties[rule.code] = {
      type: 'string',
      enum: [...SEVERITY_LEVELS],
      default: rule.defaultSeverity,
      markdownDescription: severityDescription(rule),
    };
  }
  return {
    title: 'InitWise',
    properties: {
      'initwise.enable': {
        type: 'boolean',
        default: CONFIGURATION_DEFAULTS.enable,
        scope: 'resource',
        description: 'Lint netdef and Python files with InitWise.',
      },
      'initwise.severity': {
        type: 'object',
        default: {},
        scope: 'resource',
        markdownDescription:
          'Severity per rule code, e.g. `{ "IW301": "off", "IW101": "error" }`. Rules not listed keep their default.',
        properties: severityProperties,
        additionalProperties: false,
      },
      'initwise.select': {
        type: 'array',
        items: { type: 'string' },
        default: [],
        scope: 'resource',
        markdownDescription: 'Rule codes or prefixes to run (`IW1` selects IW101–IW199); empty runs every rule. As the CLI\'s `--select`.',
      },
      'initwise.ignore': {
        type: 'array',
        items: { type: 'string' },
        default: [],
        scope: 'resource',
        markdownDescription: 'Rule codes or prefixes to skip; wins over `initwise.select`. As the CLI\'s `--ignore`.',
      },
      'initwise.extendSelect': {
        type: 'array',
        items: { type: 'string' },
        default: [],
        scope: 'resource',
        markdownDescription: 'Rule codes or prefixes added to the selection, as `extend-select` in `[tool.initwise]`.',
      },
      'initwise.perFileIgnores': {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string' } },
        default: {},
        scope: 'resource',
        markdownDescription:
          'Glob (relative to the workspace folder) → rule codes to skip in matching files, e.g. `{ "tests/**": ["IW105"] }`, as `per-file-ignores` in `[tool.initwise]`.',
      },
      'initwise.exclude': {
        type: 'array',
        items: { type: 'string' },
        default: [],
        scope: 'resource',
        markdownDescription: 'Globs (relative to the workspace folder) of files InitWise does not lint, as `exclude` in `[tool.initwise]`.',
      },
      'initwise.simulation.band': {
        type: 'number',
        default: CONFIGURATION_DEFAULTS.band,
        exclusiveMinimum: 1,
        scope: 'resource',
        markdownDescription:
          'IW201–IW204: how far (a factor either way) the depth-caused drift of the simulated signal or gradient may go before a finding.',
      },
      'initwise.simulation.mode': {
        type: 'string',
        enum: [...SIMULATION_MODES],
        default: 'analytic',
        scope: 'resource',
        markdownEnumDescriptions: [
          'Mean-field recursion of the second moments (deterministic, instant).',
          'Sampled forward and backward passes through random weights of the real widths (slower; shows the spread the mean field averages away).',
        ],
        markdownDescription: 'How the signal simulation behind IW201–IW204 and the signal report is computed.',
      },
      'initwise.kerasVersion': {
        type: 'string',
        default: '',
        pattern: '^(\\s*\\d+\\.\\d+(\\.\\d+)*\\s*)?$',
        scope: 'resource',
        markdownDescription:
          'The Keras version the project runs (`3.15`, `2.15.1`), as `keras-version` in `[tool.initwise]`. It decides the fans Keras gives `MultiHeadAttention`\'s kernels (changed in Keras 3.15, keras-team/keras#22789). Empty: read from the project\'s pinned `keras` or `tensorflow` requirement.',
      },
      'initwise.debounceMs': {
        type: 'number',
        default: CONFIGURATION_DEFAULTS.debounceMs,
        minimum: 0,
        maximum: CONFIGURATION_DEFAULTS.maxDebounceMs,
        scope: 'resource',
        description:
          'Changes that follow each other within this many milliseconds are linted once, this long after the last of them. A change after a quiet period is linted at once.',
      },
      'initwise.trace.server': {
        type: 'string',
        enum: ['off', 'messages', 'verbose'],
        default: 'off',
        scope: 'window',
        description: 'Traces the communication between VS Code and the InitWise language server (in the InitWise output).',
      },
    },
  };
}
