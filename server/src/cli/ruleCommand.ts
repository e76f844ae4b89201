/** `initwise rule CODE`: print a rule's documentation, or list the codes when CODE is unknown. */
import { RULES, ruleByCode } from '../core/rules/registry';
import { ExitCode, type CliIo } from './io';
import { renderRuleDocs } from './ruleDocs';

export function knownCodesList(): string {
  return RULES.map((rule) => `  ${rule.meta.code}  ${rule.meta.name}`).join('\n');
}

export function runRule(code: string | undefined, io: CliIo): number {
  if (code === undefined) {
    io.stderr(`initwise: \`initwise rule\` needs a rule code; known codes:\n${knownCodesList()}\n`);
    return ExitCode.Error;
  }
  const rule = ruleByCode(code.trim().toUpperCase());
  if (!rule) {
    io.stderr(`initwise: unknown rule code '${code}'; known codes:\n${knownCodesList()}\n`);
    return ExitCode.Error;
  }
  io.stdout(renderRuleDocs(rule.meta));
  return ExitCode.Clean;
}
