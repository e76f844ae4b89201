/**
 * User text quoted in a message can hold control bytes: an escape sequence would drive the
 * terminal that prints the CLI's report (issue 12: `unexpected '\x1b]'`), and bidirectional
 * overrides reorder what an editor shows (CVE-2021-42574, "Trojan Source"). Messages show
 * them escaped, as the code frame already does with its replacement character.
 */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControls(text: string): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(text)) return text;
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
