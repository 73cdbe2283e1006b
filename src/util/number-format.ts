/**
 * Numbers as en-US text, exactly as Intl.NumberFormat('en-US') writes them, without Intl: the
 * first Intl formatter of a process loads ICU's data, ~20 ms that a transform would spend after
 * its scan, for the page and the summary alike (docs/benchmarks.md). Intl rounds the shortest
 * decimal that reads back as the number (what String gives: 1.0005 → 1.001, where toFixed rounds
 * the binary value to 1.000), half away from zero; so does this. Not finite: Intl's own text.
 */

/** The shortest decimal of a magnitude, as its digits and how many of them come before the point. */
function decimal(magnitude: number): {digits: string; point: number} {
  const [mantissa, exponent = '0'] = String(magnitude).split('e')
  const [whole, fraction = ''] = mantissa!.split('.')
  return {digits: whole! + fraction, point: whole!.length + Number(exponent)}
}

/** `magnitude` ÷ 10^shift rounded to `fractionDigits`: its whole digits and its fraction's (trailing zeros dropped). */
function rounded(magnitude: number, fractionDigits: number, shift = 0): {whole: string; fraction: string} {
  let {digits, point} = decimal(magnitude)
  point -= shift
  if (point < 0) {
    digits = '0'.repeat(-point) + digits
    point = 0
  }
  const keep = point + fractionDigits
  let kept = digits.padEnd(keep, '0').slice(0, keep)
  if (digits.charCodeAt(keep) >= 0x35 /* '5' */) {
    const up = (BigInt(kept) + 1n).toString().padStart(kept.length, '0')
    point += up.length - kept.length
    kept = up
  }
  const whole = kept.slice(0, point).replace(/^0+(?=\d)/, '') || '0'
  return {whole, fraction: kept.slice(point).replace(/0+$/, '')}
}

const grouped = (whole: string): string => whole.replace(/\B(?=(\d{3})+$)/g, ',')

/** The text of `value` from its rounded digits: Intl keeps the sign of a negative number rounded to zero, and of -0. */
const signed = (value: number, whole: string, fraction: string): string => `${value < 0 || Object.is(value, -0) ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`

/** `-1234567.891` → `-1,234,567.891` (3 digits): Intl.NumberFormat('en-US', {maximumFractionDigits}). */
export function formatNumber(value: number, maxFractionDigits = 0): string {
  if (!Number.isFinite(value)) return new Intl.NumberFormat('en-US').format(value)
  const {whole, fraction} = rounded(Math.abs(value), maxFractionDigits)
  return signed(value, grouped(whole), fraction)
}

const COMPACT_SUFFIXES = ['', 'K', 'M', 'B', 'T']

/**
 * `312400000` → `312.4M`: Intl's en-US compact notation with at most one decimal (chart axes). From
 * a thousand trillion on, Intl's own text (its grouping differs there).
 */
export function formatCompact(value: number): string {
  const magnitude = Math.abs(value)
  if (!(magnitude < 1e15)) return new Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 1}).format(value)
  // The unit of the number as it is, unless rounding carries it to the next: 999,960 is 1M.
  let unit = Math.max(0, Math.floor((decimal(magnitude).point - 1) / 3))
  let digits = rounded(magnitude, 1, 3 * unit)
  if (digits.whole.length > 3 && unit < COMPACT_SUFFIXES.length - 1) digits = rounded(magnitude, 1, 3 * ++unit)
  // At most four whole digits (1000T), which Intl does not group.
  return signed(value, digits.whole, digits.fraction) + COMPACT_SUFFIXES[unit]
}
