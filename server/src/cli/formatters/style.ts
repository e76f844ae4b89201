/**
 * Terminal styling. Colour is a courtesy for people at a terminal: it is off for pipes
 * and files (so CI logs and golden files stay plain) and when NO_COLOR is set
 * (https://no-color.org: present and not empty).
 */
import type { Severity } from '../../core/findings';

export interface Style {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly severity: (severity: Severity, text: string) => string;
  readonly added: (text: string) => string;
  readonly removed: (text: string) => string;
  readonly hunk: (text: string) => string;
}

const identity = (text: string) => text;

export const PLAIN: Style = {
  bold: identity,
  dim: identity,
  severity: (_severity, text) => text,
  added: identity,
  removed: identity,
  hunk: identity,
};

const sgr = (open: number, text: string) => (text === '' ? text : `\u001b[${open}m${text}\u001b[0m`);

const SEVERITY_COLOURS: Record<Severity, number> = { error: 31, warning: 33, info: 36, hint: 34 };

export const COLOURED: Style = {
  bold: (text) => sgr(1, text),
  dim: (text) => sgr(2, text),
  severity: (severity, text) => sgr(SEVERITY_COLOURS[severity], text),
  added: (text) => sgr(32, text),
  removed: (text) => sgr(31, text),
  hunk: (text) => sgr(36, text),
};

export function chooseStyle(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Style {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return isTTY && !noColor ? COLOURED : PLAIN;
}
