import t from 'tap'

import {formatCompact, formatNumber} from '../src/util/number-format.js'

// The reference: the text Intl.NumberFormat('en-US') writes, which the page and summaries wrote before.
const intl = (digits: number) => new Intl.NumberFormat('en-US', {maximumFractionDigits: digits})
const intlCompact = new Intl.NumberFormat('en-US', {notation: 'compact', maximumFractionDigits: 1})

/** Numbers of every magnitude, whole, with few decimals, on rounding ties, and both signs. */
function numbers(count: number): number[] {
  let seed = 7
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const edges = [
    0, -0, 0.5, 1.5, 2.5, -2.5, 1.0005, 0.0005, -0.0004, 999.95, 999_949, 999_950, 999_960, 958_961_317_419.26, 1e15, 1.5e15, 999_962_038_829_133.8,
    123_456_789_012_345, 99_316_284_459_654_820, 1e21, 1.5e300, 5e-324, 1e-7, -1e-7, 312_400_000, 3_581_700, NaN, Infinity, -Infinity,
  ]
  const drawn = Array.from({length: count}, (_, i) => {
    let value = random() * 10 ** Math.floor(random() * 26 - 6)
    if (i % 3 === 0) value = Math.round(value)
    if (i % 5 === 0) value = Math.round(value * 1000) / 1000
    if (i % 7 === 0) value = Math.round(value / 50) * 50 + (i % 2 ? 0.5 : 0)
    return i % 2 ? -value : value
  })
  return [...edges, ...drawn]
}

t.test('formatNumber writes what Intl.NumberFormat en-US writes, for 0–3 decimals', async (t) => {
  const formats = [0, 1, 2, 3].map(intl)
  const wrong: string[] = []
  for (const value of numbers(20_000)) {
    for (let digits = 0; digits <= 3; digits++) {
      const ours = formatNumber(value, digits)
      const theirs = formats[digits]!.format(value)
      if (ours !== theirs) wrong.push(`${value} (${digits}): ${ours} ≠ ${theirs}`)
    }
  }
  t.same(wrong.slice(0, 10), [], 'no number written otherwise')
  // Intl rounds the shortest decimal (1.0005), not the binary value just below it, as toFixed does.
  t.equal(formatNumber(1.0005, 3), '1.001')
  t.equal(formatNumber(-1234567.891, 2), '-1,234,567.89')
  t.equal(formatNumber(-0.0004, 3), '-0')
  t.equal(formatNumber(3_581_700), '3,581,700')
})

t.test('formatCompact writes what Intl en-US compact notation with one decimal writes', async (t) => {
  const wrong: string[] = []
  for (const value of numbers(20_000)) {
    const ours = formatCompact(value)
    const theirs = intlCompact.format(value)
    if (ours !== theirs) wrong.push(`${value}: ${ours} ≠ ${theirs}`)
  }
  t.same(wrong.slice(0, 10), [], 'no number written otherwise')
  t.equal(formatCompact(312_400_000), '312.4M')
  t.equal(formatCompact(999_960), '1M', 'rounding carries into the next unit')
  t.equal(formatCompact(999_949), '999.9K')
  t.equal(formatCompact(999_962_038_829_133.8), '1000T', 'the largest unit is not grouped')
  t.equal(formatCompact(-950), '-950')
})
