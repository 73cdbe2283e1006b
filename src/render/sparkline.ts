const BARS = '▁▂▃▄▅▆▇█'

/** A headline stays one line: more values than this are averaged in equal runs down to this many characters. */
export const SPARKLINE_WIDTH = 60

/** Means of `width` consecutive runs of `values` (as equal as whole values allow). */
function downsample(values: readonly number[], width: number): number[] {
  return Array.from({length: width}, (_, i) => {
    const from = Math.floor((i * values.length) / width)
    const to = Math.floor(((i + 1) * values.length) / width)
    let sum = 0
    for (let j = from; j < to; j++) sum += values[j]!
    return sum / (to - from)
  })
}

/**
 * Values as a line of block characters, lowest ▁ to highest █ (all ▄ when they are equal), one per
 * value up to SPARKLINE_WIDTH: a glance at a series' shape in a headline.
 */
export function sparkline(values: readonly number[]): string {
  const points = values.length > SPARKLINE_WIDTH ? downsample(values, SPARKLINE_WIDTH) : values
  let min = Infinity
  let max = -Infinity
  for (const value of points) {
    min = Math.min(min, value)
    max = Math.max(max, value)
  }
  const span = max - min
  return points.map((value) => BARS[span === 0 ? 3 : Math.round(((value - min) / span) * (BARS.length - 1))]).join('')
}
