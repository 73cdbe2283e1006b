/** `[year, sum]` pairs of a flat year/sum array (the scan's sums, as the tests compare them). */
export function* yearSums(sums: ArrayLike<number>): Generator<[number, number]> {
  for (let i = 0; i < sums.length; i += 2) yield [sums[i]!, sums[i + 1]!]
}
