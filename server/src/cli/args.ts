/**
 * Command-line parsing: argv in, one typed Command out, or a UsageError whose message
 * is the one-line reason the CLI prints before exiting with status 2.
 */
import { parseArgs } from 'node:util';

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'github'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
export type SimulationFlag = 'analytic' | 'montecarlo';

export interface CheckCommand {
  readonly kind: 'check';
  /** Files or folders as the user wrote them; `.` when none were given. */
  readonly paths: readonly string[];
  readonly format: OutputFormat;
  /** Rule codes or prefixes, upper-cased, from every --select (comma lists allowed); replaces the config's select. */
  readonly select: readonly string[];
  /** Added to the config's select (or to --select). */
  readonly extendSelect: readonly string[];
  /** Added to the config's ignore. */
  readonly ignore: readonly string[];
  /** Exit 0 even when findings exist (usage errors, unreadable paths and crashes still give 2). */
  readonly exitZero: boolean;
  /** `--config FILE`: this file instead of discovering one per folder. */
  readonly config: string | undefined;
  readonly simulate: SimulationFlag | undefined;
  /** Apply fixes: safe ones, plus unsafe ones with --unsafe-fixes. */
  readonly fix: boolean;
  readonly unsafeFixes: boolean;
  /** Print what --fix would change as a diff, write nothing. */
  readonly diff: boolean;
  /** Text format: print each finding's fixes as diffs. */
  readonly showFixes: boolean;
  /** Print a count per rule instead of the findings (text) or after them. */
  readonly statistics: boolean;
  /** Worker threads for many files; undefined: one per core. */
  readonly jobs: number | undefined;
  /** Read and write the result cache (`.initwise_cache/`, cli/cache.ts); false with `--no-cache`. */
  readonly cache: boolean;
}

export interface RuleCommand {
  readonly kind: 'rule';
  /** Undefined when the user typed `initwise rule` with no code. */
  readonly code: string | undefined;
}

export type Command = CheckCommand | RuleCommand | { readonly kind: 'help' } | { readonly kind: 'version' };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP_TEXT = `initwise: lint neural-network designs (weight initializers against activations)

Usage:
  initwise check [PATH ...] [--format text|json|sarif|github] [--select CODES] [--ignore CODES]
                 [--fix] [--unsafe-fixes] [--diff] [--show-fixes] [--statistics]
                 [--simulate analytic|montecarlo] [--config FILE] [--exit-zero] [--no-cache]
  initwise report FILE [--html OUT.html] [--network NAME] [--simulate analytic|montecarlo]
  initwise rule CODE
  initwise --version | --help

Commands:
  check         Check .netdef and .py files (folders are searched recursively; default: .)
  report FILE   Print the signal report of FILE's networks, or write it as HTML (\`initwise report --help\`)
  rule CODE     Print the documentation of a rule, e.g. \`initwise rule IW101\`

Options for check:
  --format FORMAT        text (default), json, sarif (SARIF 2.1.0) or github (workflow annotations)
  --select CODES         Run only these rules: comma-separated codes or prefixes (IW101,IW3)
  --extend-select CODES  Add rules to the selection of the configuration
  --ignore CODES         Skip these rules (wins over --select)
  --fix                  Apply safe fixes, repeating until nothing changes
  --unsafe-fixes         With --fix or --diff: also apply unsafe fixes (they change training numerics)
  --diff                 Show what --fix would change, as a diff; write nothing
  --show-fixes           Text format: show each finding's fixes as diffs
  --statistics           Count findings per rule
  --simulate MODE        analytic (default) or montecarlo
  --config FILE          Use this initwise.toml or pyproject.toml instead of the nearest one
  --jobs N               Worker threads for many files (default: one per core)
  --exit-zero            Exit 0 even when findings are reported (still 2 on errors)
  --no-cache             Analyse every file afresh: neither read nor write .initwise_cache/

Configuration: [tool.initwise] in the nearest pyproject.toml, or initwise.toml (see docs/configuration.md).
Suppress a finding with a \`# initwise: ignore[IW101]\` comment at the end of its line.

Exit status: 0 no finding at warning or above, 1 at least one, 2 usage error, unreadable path or bad configuration.
`;

/** Commands of the CLI contract that a later version implements; named so users get a clear message. */
const PLANNED_COMMANDS = new Set<string>();

const RULE_PATTERN = /^IW\d{0,3}$/;

const CHECK_ONLY_OPTIONS = [
  'format',
  'select',
  'extend-select',
  'ignore',
  'exit-zero',
  'fix',
  'unsafe-fixes',
  'diff',
  'show-fixes',
  'statistics',
  'simulate',
  'config',
  'jobs',
  'no-cache',
] as const;

export function parseCommandLine(argv: readonly string[]): Command {
  const { values, positionals } = parseOrExplain(argv);

  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('missing command (expected `check`, `report` or `rule`; see `initwise --help`)');
  if (PLANNED_COMMANDS.has(command)) throw new UsageError(`\`initwise ${command}\` is not available in this version of initwise yet`);

  switch (command) {
    case 'check':
      return parseCheck(rest, values);
    case 'rule':
      rejectCheckOptions('rule', values);
      if (rest.length > 1) throw new UsageError('`initwise rule` takes one rule code');
      return { kind: 'rule', code: rest[0] };
    default:
      throw new UsageError(`unknown command '${command}' (expected \`check\`, \`report\` or \`rule\`; see \`initwise --help\`)`);
  }
}

type ParsedValues = ReturnType<typeof parseOrExplain>['values'];

function parseCheck(paths: readonly string[], values: ParsedValues): CheckCommand {
  const fix = values.fix === true;
  const diff = values.diff === true;
  const unsafeFixes = values['unsafe-fixes'] === true;
  const format = parseFormat(values.format);
  if (unsafeFixes && !fix && !diff) throw new UsageError('--unsafe-fixes needs --fix or --diff');
  if (diff && format !== 'text') throw new UsageError('--diff prints a diff; it cannot be combined with --format');
  if (values.statistics === true && (format === 'sarif' || format === 'github')) throw new UsageError(`--statistics prints text or JSON; it cannot be combined with --format ${format}`);
  // An empty argument (an unset shell variable, `initwise check "$FILES"`) is a mistake; read
  // as the current folder it would check something nobody asked for.
  if (paths.some((p) => p === '')) throw new UsageError('an empty path was given (write `.` for the current folder)');
  return {
    kind: 'check',
    paths: paths.length > 0 ? paths : ['.'],
    format,
    select: parseCodes('--select', values.select),
    extendSelect: parseCodes('--extend-select', values['extend-select']),
    ignore: parseCodes('--ignore', values.ignore),
    exitZero: values['exit-zero'] === true,
    config: values.config,
    simulate: parseSimulate(values.simulate),
    fix: fix && !diff,
    unsafeFixes,
    diff,
    showFixes: values['show-fixes'] === true,
    statistics: values.statistics === true,
    jobs: parseJobs(values.jobs),
    cache: values['no-cache'] !== true,
  };
}

function parseOrExplain(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        format: { type: 'string' },
        select: { type: 'string', multiple: true },
        'extend-select': { type: 'string', multiple: true },
        ignore: { type: 'string', multiple: true },
        'exit-zero': { type: 'boolean' },
        fix: { type: 'boolean' },
        'unsafe-fixes': { type: 'boolean' },
        'show-fixes': { type: 'boolean' },
        statistics: { type: 'boolean' },
        diff: { type: 'boolean' },
        simulate: { type: 'string' },
        config: { type: 'string' },
        jobs: { type: 'string' },
        'no-cache': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

/** node:util's messages are long and suggest `--` tricks; keep the part a user needs. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted) return `unknown option '${quoted}' (see \`initwise --help\`)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted) return `option '${quoted}' needs a value`;
  return message.split('. ')[0] ?? message;
}

function parseFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'text';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown format '${value}' (expected ${OUTPUT_FORMATS.join(', ')})`);
}

function parseSimulate(value: string | undefined): SimulationFlag | undefined {
  if (value === undefined || value === 'analytic' || value === 'montecarlo') return value;
  throw new UsageError(`unknown simulation '${value}' (expected analytic or montecarlo)`);
}

function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw new UsageError(`--jobs: '${value}' is not a number of threads (1–256)`);
  return jobs;
}

function parseCodes(flag: string, values: readonly string[] | undefined): string[] {
  const codes: string[] = [];
  for (const value of values ?? []) {
    for (const part of value.split(',')) {
      const code = part.trim().toUpperCase();
      if (code === '') continue;
      if (!RULE_PATTERN.test(code)) throw new UsageError(`${flag}: '${part.trim()}' is not a rule code or prefix (like IW101 or IW1)`);
      codes.push(code);
    }
  }
  return codes;
}

function rejectCheckOptions(command: string, values: Record<string, unknown>): void {
  for (const option of CHECK_ONLY_OPTIONS) {
    if (values[option] !== undefined) throw new UsageError(`--${option} only applies to \`initwise check\`, not \`initwise ${command}\``);
  }
}
