/** Number formatting shared by messages, hover and CLI text: 3 significant digits, exponent when tiny or huge. */
export function formatNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : 'NaN';
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax >= 1e4 || ax < 1e-3) return x.toExponential(digits - 1).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}
