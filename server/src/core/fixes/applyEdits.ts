/**
 * Applies text edits to a source. Edits must not overlap; they are applied from the end
 * so earlier offsets stay valid. Returns undefined when edits overlap (a fix set that
 * cannot be applied together is refused, never half-applied).
 */
import type { TextEdit } from '../findings';

export function applyEdits(text: string, edits: readonly TextEdit[]): string | undefined {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.span.start < sorted[i - 1]!.span.end) return undefined;
  }
  let out = text;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const edit = sorted[i]!;
    if (edit.span.start < 0 || edit.span.end > out.length || edit.span.start > edit.span.end) return undefined;
    out = out.slice(0, edit.span.start) + edit.newText + out.slice(edit.span.end);
  }
  return out;
}
