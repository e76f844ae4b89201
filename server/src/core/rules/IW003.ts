import type { Rule } from './types';

/**
 * Reported by the Python frontend; this file is its metadata and docs. Issue 12: a model
 * that ran out of the step budget, or an expression nested past the depth limit, used to
 * vanish from the report ("All checks passed."), so a file too large to check looked clean.
 * Calls nested past the interpreter's call depth did the same until session 8 of December.
 */
export const IW003: Rule = {
  meta: {
    code: 'IW003',
    name: 'analysis-limit',
    defaultSeverity: 'warning',
    summary: 'Part of a Python model file is too large, or its code or calls too deeply nested, to analyse within InitWise\'s limits; it is not checked.',
    fixable: 'never',
    docs: {
      whatItDoes:
        'Says where InitWise stopped reading a Python file: a class, function or script that needs more than the step ' +
        'budget (loops are unrolled: 200,000 statements and expressions per model, 2,000,000 per file), an expression nested ' +
        'more than 200 levels deep, calls nested more than 12 deep (recursion without an end InitWise can decide, or a chain of ' +
        'more than 12 `super().__init__()` calls), or a file longer than 5,000,000 characters. The model concerned is not judged: what ' +
        'InitWise could not read in full it does not report on.',
      whyItMatters:
        'Without it, a model InitWise could not finish would simply be missing from the report, and the file would pass ' +
        'as if it had been checked.',
      example:
        'import torch.nn as nn\n\nlayers = []\nfor i in range(1000):\n    for j in range(1000):\n        layers.append(nn.Linear(8, 8))\nmodel = nn.Sequential(*layers)',
      useInstead:
        'import torch.nn as nn\n\nlayers = [nn.Linear(8, 8) for _ in range(64)]\nmodel = nn.Sequential(*layers)',
      fixSafety: 'No automatic fix: the code is not wrong, only beyond what InitWise reads.',
      whenNotToApply:
        'When the file is generated or deliberately huge: ignore IW003 for it (`per-file-ignores`) and check a smaller ' +
        'configuration of the same model instead.',
      references: ['issue 12 (hostile inputs)', 'docs/python.md (what the interpreter follows)'],
    },
  },
};
