/**
 * GitHub Actions workflow commands: one `::warning file=…,line=…,col=…::message` line per
 * finding, which the runner turns into annotations on the pull request's diff. Escaping
 * follows the runner's rules (toolkit/core command.ts): `%`, CR and LF in the message;
 * also `:` and `,` in property values.
 */
import type { Finding, Severity } from '../../core/findings';
import type { LineIndex } from '../../core/text';
import { locateIn, type Locate } from './json';

const COMMANDS: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * In a notebook (`locate` given) the line and column are within the cell, and the
 * message starts with `cell N:line:col:` so the annotation names the cell.
 */
export function renderGithub(files: readonly { readonly path: string; readonly index: LineIndex; readonly findings: readonly Finding[]; readonly locate?: Locate }[]): string {
  let out = '';
  for (const file of files) {
    const locate = file.locate ?? locateIn(file.index);
    for (const finding of file.findings) {
      const at = locate(finding.span);
      const properties = [
        `file=${escapeProperty(file.path)}`,
        `line=${at.line}`,
        `col=${at.column}`,
        `endLine=${at.endLine}`,
        `endColumn=${at.endColumn}`,
        `title=${escapeProperty(finding.code)}`,
      ];
      const where = at.cell === undefined ? '' : `cell ${at.cell}:${at.line}:${at.column}: `;
      out += `::${COMMANDS[finding.severity]} ${properties.join(',')}::${escapeData(`${where}${finding.code} ${finding.message}`)}\n`;
    }
  }
  return out;
}
