import type { Rule } from './types';

/** Reported by the frontends; this file is its metadata and docs. */
export const IW002: Rule = {
  meta: {
    code: 'IW002',
    name: 'unknown-name',
    defaultSeverity: 'warning',
    summary: 'An activation or initializer name is not recognised; the message suggests the nearest known name.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Flags an activation or initializer name InitWise does not know (names are case-insensitive and framework ' +
        'aliases are accepted), and suggests the closest known name.',
      whyItMatters:
        'An unknown name usually is a typo (`rleu`) that the framework would reject at run time, or a function whose ' +
        'variance InitWise cannot compute; either way the layer cannot be checked.',
      example: 'dense 512 activation=rleu init=he_normal',
      useInstead: 'dense 512 activation=relu init=he_normal',
      fixSafety: 'The "Use NAME" fix is unsafe: the suggestion is the closest spelling, not necessarily what was meant.',
      whenNotToApply: 'When the name is a custom function; then InitWise reports nothing else about that layer.',
      references: ['docs/netdef.md (activations and initializers)'],
    },
  },
};
