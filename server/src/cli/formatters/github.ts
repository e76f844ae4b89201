/**
 * GitHub Actions workflow commands: one `::warning file=…,line=…,col=…::message` line per
 * finding, which the runner turns into annotations on the pull request's diff. Escaping
 * follows the runner's rules (toolkit/core command.ts): `%`, CR and LF in the message;
 * also `:` and `,` in property values.
 */
import type { Finding, Severity } from '../../core/findings';
import type { LineIndex } from '../../core/text';

const COMMANDS: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice', hint: 'notice' };

const escapeData = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

export function renderGithub(files: readonly { readonly path: string; readonly index: LineIndex; readonly findings: readonly Finding[] }[]): string {
  let out = '';
  for (const file of files) {
    for (const finding of file.findings) {
      const start = file.index.positionAt(finding.span.start);
      const end = file.index.positionAt(finding.span.end);
      const properties = [
        `file=${escapeProperty(file.path)}`,
        `line=${start.line + 1}`,
        `col=${start.character + 1}`,
        `endLine=${end.line + 1}`,
        `endColumn=${end.character + 1}`,
        `title=${escapeProperty(finding.code)}`,
      ];
      out += `::${COMMANDS[finding.severity]} ${properties.join(',')}::${escapeData(`${finding.code} ${finding.message}`)}\n`;
    }
  }
  return out;
}
