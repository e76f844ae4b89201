/**
 * `initwise check`: discover files, analyse each with the same engine the editor uses,
 * print the report, and decide the exit status. A path that cannot be read does not
 * stop the others from being checked; it only turns the status into 2.
 */
import * as fs from 'node:fs';
import { analyze } from '../core/analyze';
import type { Finding } from '../core/findings';
import type { PythonSupport } from '../core/frontends/types';
import { RULES } from '../core/rules/registry';
import { DEFAULT_SETTINGS, type Settings } from '../core/settings';
import { LineIndex } from '../core/text';
import type { CheckCommand } from './args';
import { describeFsError, discoverFiles, type SourceFile } from './discover';
import { renderJson, type AnalysedFile } from './formatters/json';
import { chooseStyle } from './formatters/style';
import { countSeverities, renderFinding, renderSummary } from './formatters/text';
import { ExitCode, type CliIo } from './io';

export interface CheckedFile extends AnalysedFile {
  readonly text: string;
}

export function settingsFor(command: Pick<CheckCommand, 'select' | 'ignore'>): Settings {
  return { ...DEFAULT_SETTINGS, select: command.select, ignore: command.ignore };
}

/** Reads a source file as the editor would see it: UTF-8 without a byte-order mark. */
export function readSource(absolutePath: string): string {
  const text = fs.readFileSync(absolutePath, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function analyseFile(file: SourceFile, text: string, settings: Settings, python?: PythonSupport): CheckedFile {
  const result = analyze({ text, languageId: file.languageId, python }, settings);
  return { path: file.displayPath, text, index: new LineIndex(text), result };
}

const blocksExit = (finding: Finding) => finding.severity === 'error' || finding.severity === 'warning';

export function runCheck(command: CheckCommand, io: CliIo): number {
  const settings = settingsFor(command);
  warnAboutUnmatchedCodes(command, io);

  const discovery = discoverFiles(command.paths, io.cwd);
  const errors = [...discovery.errors];
  const checked: CheckedFile[] = [];
  for (const file of discovery.files) {
    let text: string;
    try {
      text = readSource(file.absolutePath);
    } catch (error) {
      errors.push(`${file.displayPath}: ${describeFsError(error)}`);
      continue;
    }
    try {
      checked.push(analyseFile(file, text, settings, io.python));
    } catch (error) {
      // The engine must never throw on user input; if it does, that is our bug. Say so
      // loudly (with the stack, for the report) and carry on with the other files.
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push(`internal error while checking ${file.displayPath} (please report this): ${detail}`);
    }
  }

  if (command.format === 'json') {
    io.stdout(renderJson(checked));
  } else {
    io.stdout(renderText(checked, io));
  }
  for (const error of errors) io.stderr(`initwise: ${error}\n`);
  if (discovery.files.length === 0 && errors.length === 0) {
    io.stderr(`initwise: warning: no .netdef or .py files found in ${command.paths.join(', ')}\n`);
  }

  if (errors.length > 0) return ExitCode.Error;
  if (command.exitZero) return ExitCode.Clean;
  return checked.some((file) => file.result.findings.some(blocksExit)) ? ExitCode.Findings : ExitCode.Clean;
}

function renderText(checked: readonly CheckedFile[], io: CliIo): string {
  const style = chooseStyle(io.isTTY, io.env);
  let out = '';
  for (const file of checked) {
    for (const finding of file.result.findings) {
      out += renderFinding(file, finding, { style, showFixDiffs: false }) + '\n';
    }
  }
  const findings = checked.flatMap((file) => file.result.findings);
  const filesWithFindings = checked.filter((file) => file.result.findings.length > 0).length;
  return out + renderSummary(countSeverities(findings), filesWithFindings, style) + '\n';
}

/** A typo in --select silently checks nothing; a warning makes that visible without failing CI. */
function warnAboutUnmatchedCodes(command: CheckCommand, io: CliIo): void {
  for (const [flag, codes] of [['--select', command.select], ['--ignore', command.ignore]] as const) {
    for (const code of codes) {
      if (!RULES.some((rule) => rule.meta.code.startsWith(code))) {
        io.stderr(`initwise: warning: ${flag} ${code} matches no rule (see \`initwise rule\` for the list)\n`);
      }
    }
  }
}
