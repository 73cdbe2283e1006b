/**
 * Per-series year sums, packed into Float64Array blocks as the scan finishes each series (the file
 * is sorted by series, so a series is finished when the next one starts). Kept as JS arrays until
 * the end, they cost about twice the numbers they hold, and at 282,000 series most of the memory.
 */

/**
 * Sums of scaled values per year, for one series, as flat `[year, sum, year, sum, …]` arrays: a
 * Map per series cost ≈ 2.6 KB. A scan keeps them only for the series in hand (SeriesPacker).
 */
export interface SeriesTotals {
  /** Year, sum of Q01–Q04, … */
  quarterly: number[]
  /** Year, sum of Q05 (one row per year in a well-formed file), … */
  annual: number[]
}

/** Sums as a scan returns them: views of the packed blocks, or arrays for a series two workers shared. */
export interface YearSums {
  quarterly: ArrayLike<number>
  annual: ArrayLike<number>
}

/** Index of `year` in a flat year/sum array, or -1. Rows come sorted by year: the last year is the likely one. */
export function yearIndex(sums: ArrayLike<number>, year: number): number {
  for (let i = sums.length - 2; i >= 0; i -= 2) if (sums[i] === year) return i
  return -1
}

/** `[year, sum]` pairs of a flat year/sum array. */
export function* yearSums(sums: ArrayLike<number>): Generator<[number, number]> {
  for (let i = 0; i < sums.length; i += 2) yield [sums[i]!, sums[i + 1]!]
}

/** Numbers per block (1 MiB): more than the largest entry, 2 + 2 × 2 × 10,000 four-digit years. */
const BLOCK = 1 << 17

/** A scan's sums: entry i is `[quarterly length, annual length, quarterly pairs…, annual pairs…]` at `positions[i]`. */
export interface PackedSums {
  /** Ids by entry, joined by LF (no id holds one); '' for an entry taken back (its series reappeared). */
  ids: string
  /** Where each entry starts: block × BLOCK + offset, an entry never crossing a block. */
  positions: Float64Array
  blocks: Float64Array[]
}

function entryAt(blocks: readonly Float64Array[], position: number): YearSums {
  const block = blocks[Math.floor(position / BLOCK)]!
  const at = position % BLOCK
  const quarterlyEnd = at + 2 + block[at]!
  return {quarterly: block.subarray(at + 2, quarterlyEnd), annual: block.subarray(quarterlyEnd, quarterlyEnd + block[at + 1]!)}
}

export class SeriesPacker {
  private readonly ids: string[] = []
  private readonly positions: number[] = []
  private readonly blocks: Float64Array[] = []
  /** Numbers used in the last block. */
  private used = BLOCK
  private readonly entryOf = new Map<string, number>()

  /** Pack a finished series' sums. */
  add(id: string, {quarterly, annual}: SeriesTotals): void {
    const size = 2 + quarterly.length + annual.length
    if (this.used + size > BLOCK) {
      this.blocks.push(new Float64Array(BLOCK))
      this.used = 0
    }
    const block = this.blocks.at(-1)!
    const at = this.used
    block[at] = quarterly.length
    block[at + 1] = annual.length
    block.set(quarterly, at + 2)
    block.set(annual, at + 2 + quarterly.length)
    this.entryOf.set(id, this.ids.length)
    this.ids.push(id)
    this.positions.push((this.blocks.length - 1) * BLOCK + at)
    this.used += size
  }

  /**
   * The sums of a series packed earlier, taken back to add to (its rows reappear further on, in a
   * file not sorted by series); undefined for a series not seen yet. Each id has one entry at most,
   * so the sums keep adding up in one place, exactly as they would in a single array.
   */
  takeBack(id: string): SeriesTotals | undefined {
    const entry = this.entryOf.get(id)
    if (entry === undefined) return undefined
    this.entryOf.delete(id)
    this.ids[entry] = ''
    const {quarterly, annual} = entryAt(this.blocks, this.positions[entry]!)
    return {quarterly: Array.from(quarterly), annual: Array.from(annual)}
  }

  packed(): PackedSums {
    return {ids: this.ids.join('\n'), positions: Float64Array.from(this.positions), blocks: this.blocks}
  }
}

/** `into`'s year/sum pairs plus those of `sums`, in a new array. */
function addSums(into: ArrayLike<number>, sums: ArrayLike<number>): number[] {
  const added = Array.from(into)
  for (let i = 0; i < sums.length; i += 2) {
    const index = yearIndex(added, sums[i]!)
    if (index === -1) added.push(sums[i]!, sums[i + 1]!)
    else added[index + 1]! += sums[i + 1]!
  }
  return added
}

/**
 * Every series' sums from one or more scans, read where the scans packed them: a series costs a
 * map entry holding its position, and views of its sums are made when asked for. A series that
 * several scans saw (split across workers) is added up into arrays (exact: the caller has checked
 * the bound on every sum).
 */
export class MergedSeries implements Iterable<[string, YearSums]> {
  private readonly blocks: Float64Array[] = []
  private readonly entries = new Map<string, number | YearSums>()

  add({ids, positions, blocks}: PackedSums): void {
    const base = this.blocks.length * BLOCK
    for (const block of blocks) this.blocks.push(block)
    ids.split('\n').forEach((id, entry) => {
      if (id === '') return
      const position = base + positions[entry]!
      const seen = this.get(id)
      if (!seen) {
        this.entries.set(id, position)
        return
      }
      const sums = entryAt(this.blocks, position)
      this.entries.set(id, {quarterly: addSums(seen.quarterly, sums.quarterly), annual: addSums(seen.annual, sums.annual)})
    })
  }

  get size(): number {
    return this.entries.size
  }

  keys(): IterableIterator<string> {
    return this.entries.keys()
  }

  get(id: string): YearSums | undefined {
    const entry = this.entries.get(id)
    return typeof entry === 'number' ? entryAt(this.blocks, entry) : entry
  }

  *[Symbol.iterator](): Generator<[string, YearSums]> {
    for (const id of this.entries.keys()) yield [id, this.get(id)!]
  }
}
