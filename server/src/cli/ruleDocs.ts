/**
 * A rule's documentation as Markdown, rendered from its metadata alone. The same text
 * is printed by `initwise rule CODE` and written to docs/rules/CODE.md, so the two can
 * never disagree (and the docs test fails when the files fall behind the metadata).
 */
import type { RuleMeta } from '../core/rules/types';

const FIXABLE_WORDS: Record<RuleMeta['fixable'], string> = {
  always: 'always (every finding offers a fix)',
  sometimes: 'sometimes (a fix is offered when one is clear)',
  never: 'no',
};

function codeBlock(source: string): string {
  // Python-only rules (IW003) show Python; every other example is .netdef.
  const language = /^(import|from) /m.test(source) ? 'python' : 'netdef';
  return [`\`\`\`${language}`, source.replace(/\s+$/, ''), '```'].join('\n');
}

function section(title: string, body: string): string {
  return `## ${title}\n\n${body.trim()}\n`;
}

export function renderRuleDocs(meta: RuleMeta): string {
  const { docs } = meta;
  const references = docs.references.length > 0 ? docs.references.map((reference) => `- ${reference}`).join('\n') : 'None.';
  return [
    `# ${meta.code}: ${meta.name}\n`,
    [
      '| | |',
      '|---|---|',
      `| Code | \`${meta.code}\` |`,
      `| Name | \`${meta.name}\` |`,
      `| Default severity | ${meta.defaultSeverity} |`,
      `| Fixable | ${FIXABLE_WORDS[meta.fixable]} |`,
      '',
    ].join('\n'),
    `${meta.summary.trim()}\n`,
    section('What it does', docs.whatItDoes),
    section('Why it matters', docs.whyItMatters),
    section('Example', codeBlock(docs.example)),
    section('Use instead', codeBlock(docs.useInstead)),
    section('Fix safety', docs.fixSafety),
    section('When not to apply', docs.whenNotToApply),
    section('References', references),
  ].join('\n');
}

/** Escapes a table cell: pipes would split the cell, line breaks would end the row. */
export function tableCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The rule table shared by docs/rules/README.md and the project README.
 * `linkPrefix` is the path from the page to docs/rules/.
 */
export function renderRuleTable(rules: readonly RuleMeta[], linkPrefix: string): string {
  const rows = rules.map(
    (meta) =>
      `| [${meta.code}](${linkPrefix}${meta.code}.md) | \`${meta.name}\` | ${meta.defaultSeverity} | ${meta.fixable === 'never' ? 'no' : meta.fixable} | ${tableCell(meta.summary)} |`,
  );
  return ['| code | name | default | fixable | fires when |', '|---|---|---|---|---|', ...rows].join('\n');
}
