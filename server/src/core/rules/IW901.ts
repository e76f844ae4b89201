import type { Rule } from './types';

/** Reported by the suppression pass of analyze() (core/suppressions.ts); this file is its metadata and docs. */
export const IW901: Rule = {
  meta: {
    code: 'IW901',
    name: 'unused-suppression',
    defaultSeverity: 'info',
    summary: 'An `initwise: ignore[...]` comment suppresses nothing.',
    fixable: 'always',
    docs: {
      whatItDoes:
        'Reports a suppression comment that silences nothing: an `# initwise: ignore[IWxxx]` on a line where IWxxx is ' +
        'not reported, an `# initwise: ignore-file[IWxxx]` in a file without IWxxx, a bare `# initwise: ignore` on a clean ' +
        'line, a code that is not a rule, or IW001 (syntax errors cannot be suppressed). Codes of rules that the current ' +
        'settings turn off are not reported: under another configuration the suppression may be needed. In a Python ' +
        "module of the workspace, a comment that silences what an importer's models reach there (a block's init judged " +
        "with the importer's widths) is used: `initwise check` counts the importers of the run, the editor its open " +
        'documents; `--fix` removes a comment only after every file of the run was checked.',
      whyItMatters:
        'A suppression outlives the finding it was written for: after the initializer is fixed, a stale ' +
        '`ignore[IW101]` would silently hide the next mistake on that line. Reporting it keeps suppressions honest, as ' +
        "Ruff's RUF100 does for `noqa`.",
      example: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu init=he_normal  # initwise: ignore[IW101]\n  dense 10\n}',
      useInstead: 'network mlp framework=pytorch {\n  input 784\n  dense 512 activation=relu init=he_normal\n  dense 10\n}',
      fixSafety:
        'Safe: the fix removes the comment (the whole line when the comment stands alone) or only the codes that ' +
        'silence nothing; what the file reports under the current settings does not change.',
      whenNotToApply:
        'When the same file is checked with different settings elsewhere (a rule enabled there, disabled here): the ' +
        'codes of disabled rules are kept for that reason, but a code for a rule that fires only under another simulation ' +
        'band would still be removed. Likewise when a module is checked without the files that import it (`initwise check ' +
        "layers.py`): a comment only an importer's analysis uses is reported there.",
      references: ['Ruff RUF100 (unused-noqa), https://docs.astral.sh/ruff/rules/unused-noqa/', 'docs/configuration.md (suppression comments)'],
    },
  },
};
