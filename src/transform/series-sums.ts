/**
 * Per-series year sums, packed into Float64Array blocks as the scan finishes each series (the file
 * is sorted by series, so a series is finished when the next one starts). Kept as JS arrays until
 * the end, they cost about twice the numbers they hold, and at 282,000 series most of the memory.
 */

/**
 * Sums of scaled values per year, for one series, as flat `[year, sum, year, sum, …]` arrays (a
 * Map per series cost ≈ 2.6 KB): what a scan packs (quarterly: Q01–Q04, annual: Q05), and what it
 * returns, as views of the packed blocks or arrays for a series two scanners shared. A returned
 * `annual` is empty for a series with quarterly sums (it is scored on those alone).
 */
export interface YearSums {
  quarterly: ArrayLike<number>
  annual: ArrayLike<number>
}

/** Index of `year` in a flat year/sum array of `length` numbers, or -1. Rows come sorted by year: the last year is the likely one. */
export function yearIndex(sums: ArrayLike<number>, year: number, length = sums.length): number {
  for (let i = length - 2; i >= 0; i -= 2) if (sums[i] === year) return i
  return -1
}

/**
 * The year/sum pairs of the series a scan has in hand, in memory reused from one series to the
 * next: a fresh array per series, grown as its years came, was ~2 KB of garbage a series and a
 * tenth of a scan's time in garbage collection.
 */
export class YearSumList {
  sums = new Float64Array(64)
  length = 0

  /** Start again, empty or with these pairs. */
  reset(pairs: ArrayLike<number> = []): void {
    this.length = 0
    this.reserve(pairs.length)
    this.sums.set(pairs)
    this.length = pairs.length
  }

  /** Index of `year`'s sum pair, appended with a zero sum when it has none. */
  indexOf(year: number): number {
    const index = yearIndex(this.sums, year, this.length)
    if (index !== -1) return index
    this.reserve(this.length + 2)
    this.sums[this.length] = year
    this.sums[this.length + 1] = 0
    this.length += 2
    return this.length - 2
  }

  view(): Float64Array {
    return this.sums.subarray(0, this.length)
  }

  private reserve(length: number): void {
    if (length <= this.sums.length) return
    const grown = new Float64Array(Math.max(length, 2 * this.sums.length))
    grown.set(this.sums.subarray(0, this.length))
    this.sums = grown
  }
}

/** Numbers per block (1 MiB): more than the largest entry, 2 + 2 × 2 × 10,000 four-digit years. */
const BLOCK = 1 << 17

/**
 * A scan's sums: entry i at `positions[i]`. Most series have a sum for every year of a range (years
 * in order, none missing), kept as `[quarterly count, annual count, first quarterly year, first
 * annual year, quarterly sums…, annual sums…]`: half the numbers of year/sum pairs, so half the
 * memory and half the fresh pages to fault in (at 282,000 series, ~150 MB less). Any other series
 * is kept as `[-1 − quarterly length, annual length, quarterly pairs…, annual pairs…]`.
 */
export interface PackedSums {
  /**
   * Ids by entry as the text of a JSON array ('' for an entry taken back: its series reappeared).
   * One string crosses from a worker at little cost, and JSON.parse makes each id a string of its
   * own: split made slices of the whole, which the sort of the best-year rows and every file
   * written from them read several times slower (sorting 28,200 ids: 11–21 ms against 3–5).
   */
  ids: string
  /** Where each entry starts: block × BLOCK + offset, an entry never crossing a block. */
  positions: Float64Array
  blocks: Float64Array[]
}

/** Whether a year/sum array's years are consecutive and rising (an empty one is). */
function isRange(sums: ArrayLike<number>): boolean {
  for (let i = 2; i < sums.length; i += 2) if (sums[i] !== sums[i - 2]! + 1) return false
  return true
}

/** Year/sum pairs of `count` sums from `at`, the first for `year`. */
function rangePairs(block: Float64Array, at: number, count: number, year: number): Float64Array {
  const pairs = new Float64Array(2 * count)
  for (let i = 0; i < count; i++) {
    pairs[2 * i] = year + i
    pairs[2 * i + 1] = block[at + i]!
  }
  return pairs
}

function entryAt(blocks: readonly Float64Array[], position: number): YearSums {
  const block = blocks[Math.floor(position / BLOCK)]!
  const at = position % BLOCK
  const head = block[at]!
  if (head < 0) {
    const quarterlyEnd = at + 2 - 1 - head
    return {quarterly: block.subarray(at + 2, quarterlyEnd), annual: block.subarray(quarterlyEnd, quarterlyEnd + block[at + 1]!)}
  }
  return {quarterly: rangePairs(block, at + 4, head, block[at + 2]!), annual: rangePairs(block, at + 4 + head, block[at + 1]!, block[at + 3]!)}
}

export class SeriesPacker {
  private readonly ids: string[] = []
  private readonly positions: number[] = []
  private readonly blocks: Float64Array[] = []
  /** Numbers used in the last block. */
  private used = BLOCK
  private readonly entryOf = new Map<string, number>()

  /**
   * Pack a finished series' sums. A series with quarterly sums is scored on them alone, whatever
   * else comes (build.ts): its annual sums are dropped, a third of the memory at 282,000 series.
   */
  add(id: string, {quarterly, annual: allAnnual}: YearSums): void {
    const annual = quarterly.length > 0 ? [] : allAnnual
    const ranges = isRange(quarterly) && isRange(annual)
    const size = ranges ? 4 + (quarterly.length + annual.length) / 2 : 2 + quarterly.length + annual.length
    if (this.used + size > BLOCK) {
      this.blocks.push(new Float64Array(BLOCK))
      this.used = 0
    }
    const block = this.blocks.at(-1)!
    const at = this.used
    if (ranges) {
      block[at] = quarterly.length / 2
      block[at + 1] = annual.length / 2
      block[at + 2] = quarterly[0] ?? 0
      block[at + 3] = annual[0] ?? 0
      let i = at + 4
      for (let k = 1; k < quarterly.length; k += 2) block[i++] = quarterly[k]!
      for (let k = 1; k < annual.length; k += 2) block[i++] = annual[k]!
    } else {
      block[at] = -1 - quarterly.length
      block[at + 1] = annual.length
      block.set(quarterly, at + 2)
      block.set(annual, at + 2 + quarterly.length)
    }
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
  takeBack(id: string): YearSums | undefined {
    const entry = this.entryOf.get(id)
    if (entry === undefined) return undefined
    this.entryOf.delete(id)
    this.ids[entry] = ''
    return entryAt(this.blocks, this.positions[entry]!)
  }

  /** The packed sums, once the scan is done: the packer lets go of its index of them (at 282,000 series, tens of MB). */
  packed(): PackedSums {
    this.entryOf.clear()
    return {ids: JSON.stringify(this.ids.splice(0)), positions: Float64Array.from(this.positions.splice(0)), blocks: this.blocks}
  }
}

/** A series' best year: its highest sum (exact, scaled integers), ties to the earliest year. */
export interface BestYear {
  year: number
  sum: number
  /** Scored on Q01–Q04 sums, or — for a series that publishes no quarters — on Q05. */
  basis: 'quarterly' | 'annual'
}

/** The best of `length` year/sum pairs from `at` (length > 0). */
function bestOfPairs(sums: ArrayLike<number>, at: number, length: number, basis: BestYear['basis']): BestYear {
  let best = at
  for (let i = at + 2; i < at + length; i += 2) {
    const sum = sums[i + 1]!
    const bestSum = sums[best + 1]!
    if (sum > bestSum || (sum === bestSum && sums[i]! < sums[best]!)) best = i
  }
  return {year: sums[best]!, sum: sums[best + 1]!, basis}
}

/** The best of `count` sums from `at` for the years from `year` on (count > 0): the first highest is the earliest. */
function bestOfRange(block: Float64Array, at: number, count: number, year: number, basis: BestYear['basis']): BestYear {
  let best = at
  for (let i = at + 1; i < at + count; i++) if (block[i]! > block[best]!) best = i
  return {year: year + best - at, sum: block[best]!, basis}
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
    const idOf = JSON.parse(ids) as string[]
    idOf.forEach((id, entry) => {
      if (id === '') return
      const position = base + positions[entry]!
      const seen = this.get(id)
      if (!seen) {
        this.entries.set(id, position)
        return
      }
      const sums = entryAt(this.blocks, position)
      const quarterly = addSums(seen.quarterly, sums.quarterly)
      // As packed: the annual sums only of a series without quarterly ones.
      this.entries.set(id, {quarterly, annual: quarterly.length > 0 ? [] : addSums(seen.annual, sums.annual)})
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

  /** The series' best year, read where its sums are (no copy of a packed entry). */
  best(id: string): BestYear | undefined {
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    if (typeof entry !== 'number') {
      return entry.quarterly.length > 0 ? bestOfPairs(entry.quarterly, 0, entry.quarterly.length, 'quarterly') : bestOfPairs(entry.annual, 0, entry.annual.length, 'annual')
    }
    const block = this.blocks[Math.floor(entry / BLOCK)]!
    const at = entry % BLOCK
    const head = block[at]!
    if (head < 0) {
      const quarterly = -1 - head
      return quarterly > 0 ? bestOfPairs(block, at + 2, quarterly, 'quarterly') : bestOfPairs(block, at + 2, block[at + 1]!, 'annual')
    }
    return head > 0 ? bestOfRange(block, at + 4, head, block[at + 2]!, 'quarterly') : bestOfRange(block, at + 4, block[at + 1]!, block[at + 3]!, 'annual')
  }

  *[Symbol.iterator](): Generator<[string, YearSums]> {
    for (const id of this.entries.keys()) yield [id, this.get(id)!]
  }

  /**
   * Let go of the sums' memory now, once read. Blocks a long scan made sit in V8's old generation,
   * whose ArrayBuffers only a full collection frees, which a transform's last second seldom has:
   * the report files were made beside ~70 MB of dead sums at 282,000 series (npm run bench). Each
   * block's memory is moved into a fresh buffer, dropped at once, which the next scavenge frees.
   * The series are empty afterwards.
   */
  release(): void {
    for (const block of this.blocks.splice(0)) structuredClone(block.buffer, {transfer: [block.buffer]})
    this.entries.clear()
  }
}
