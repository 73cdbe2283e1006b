const BARS = '▁▂▃▄▅▆▇█'

/**
 * Values as a line of block characters, lowest ▁ to highest █ (all ▄ when they are equal), one per
 * value: a glance at a series' shape in a headline.
 */
export function sparkline(values: readonly number[]): string {
  let min = Infinity
  let max = -Infinity
  // Loops, not Math.min(...values): no argument spreading over rows.
  for (const value of values) {
    min = Math.min(min, value)
    max = Math.max(max, value)
  }
  const span = max - min
  return values.map((value) => BARS[span === 0 ? 3 : Math.round(((value - min) / span) * (BARS.length - 1))]).join('')
}
