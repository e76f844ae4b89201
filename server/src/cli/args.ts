/**
 * Command-line parsing: argv in, one typed Command out, or a UsageError whose message
 * is the one-line reason the CLI prints before exiting with status 2.
 */
import { parseArgs } from 'node:util';

export type OutputFormat = 'text' | 'json';

export interface CheckCommand {
  readonly kind: 'check';
  /** Files or folders as the user wrote them; `.` when none were given. */
  readonly paths: readonly string[];
  readonly format: OutputFormat;
  /** Rule codes or prefixes, upper-cased, from every --select (comma lists allowed). */
  readonly select: readonly string[];
  readonly ignore: readonly string[];
  /** Exit 0 even when findings exist (usage errors, unreadable paths and crashes still give 2). */
  readonly exitZero: boolean;
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
  initwise check [PATH ...] [--format text|json] [--select CODES] [--ignore CODES] [--exit-zero]
  initwise report FILE [--html OUT.html] [--network NAME]
  initwise rule CODE
  initwise --version | --help

Commands:
  check         Check .netdef and .py files (folders are searched recursively; default: .)
  report FILE   Print the signal report of FILE's networks, or write it as HTML (\`initwise report --help\`)
  rule CODE     Print the documentation of a rule, e.g. \`initwise rule IW101\`

Options for check:
  --format FORMAT   text (default) or json
  --select CODES    Run only these rules: comma-separated codes or prefixes (IW101,IW3)
  --ignore CODES    Skip these rules (wins over --select)
  --exit-zero       Exit 0 even when findings are reported (still 2 on errors)

Exit status: 0 no finding at warning or above, 1 at least one, 2 usage error or unreadable path.
`;

/** Flags and formats from the CLI contract that a later version implements; named so users get a clear message. */
const PLANNED_FLAGS = ['fix', 'unsafe-fixes', 'simulate', 'config', 'show-fixes', 'diff'] as const;
const PLANNED_FORMATS = new Set(['sarif', 'github']);
const PLANNED_COMMANDS = new Set<string>();

const RULE_PATTERN = /^IW\d{0,3}$/;

export function parseCommandLine(argv: readonly string[]): Command {
  const { values, positionals } = parseOrExplain(argv);

  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  for (const flag of PLANNED_FLAGS) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is not available in this version of initwise yet`);
  }

  const [command, ...rest] = positionals;
  if (command === undefined) throw new UsageError('missing command (expected `check`, `report` or `rule`; see `initwise --help`)');
  if (PLANNED_COMMANDS.has(command)) throw new UsageError(`\`initwise ${command}\` is not available in this version of initwise yet`);

  switch (command) {
    case 'check':
      return {
        kind: 'check',
        paths: rest.length > 0 ? rest : ['.'],
        format: parseFormat(values.format),
        select: parseCodes('--select', values.select),
        ignore: parseCodes('--ignore', values.ignore),
        exitZero: values['exit-zero'] === true,
      };
    case 'rule':
      rejectCheckOptions('rule', values);
      if (rest.length > 1) throw new UsageError('`initwise rule` takes one rule code');
      return { kind: 'rule', code: rest[0] };
    default:
      throw new UsageError(`unknown command '${command}' (expected \`check\`, \`report\` or \`rule\`; see \`initwise --help\`)`);
  }
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
        ignore: { type: 'string', multiple: true },
        'exit-zero': { type: 'boolean' },
        fix: { type: 'boolean' },
        'unsafe-fixes': { type: 'boolean' },
        'show-fixes': { type: 'boolean' },
        diff: { type: 'boolean' },
        simulate: { type: 'string' },
        config: { type: 'string' },
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
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  if (PLANNED_FORMATS.has(value)) throw new UsageError(`--format ${value} is not available in this version of initwise yet (use text or json)`);
  throw new UsageError(`unknown format '${value}' (expected text or json)`);
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
  for (const option of ['format', 'select', 'ignore', 'exit-zero']) {
    if (values[option] !== undefined) throw new UsageError(`--${option} only applies to \`initwise check\`, not \`initwise ${command}\``);
  }
}
