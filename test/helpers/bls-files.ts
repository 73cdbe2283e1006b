import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {FolderStore} from '../../src/stores/folder.js'
import type {Store} from '../../src/stores/store.js'

const created: string[] = []

/** A fresh temporary folder, removed by `removeTempDirs` (register it with `t.teardown`). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataquest-transform-'))
  created.push(dir)
  return dir
}

export const removeTempDirs = async (): Promise<void> => {
  await Promise.all(created.splice(0).map((dir) => rm(dir, {recursive: true, force: true})))
}

export type DataRow = [seriesId: string, year: number | string, period: string, value: number | string]

export const HEADER = 'series_id        \tyear\tperiod\t       value\tfootnote_codes'

/** A BLS data file as BLS pads it: series id padded to 17, value right-aligned in 12, a trailing empty footnote. */
export function dataFile(rows: readonly DataRow[], {eol = '\r\n', header = HEADER}: {eol?: string; header?: string} = {}): string {
  const lines = rows.map(([id, year, period, value]) => `${id.padEnd(17)}\t${year}\t${period}\t${String(value).padStart(12)}\t`)
  return [header, ...lines].join(eol) + eol
}

/** The current DataUSA shape: `Year` a number, `Nation ID`. */
export const populationCurrent = (byYear: Record<number, number | null>): string =>
  JSON.stringify({
    annotations: {source_name: 'Census Bureau'},
    page: {limit: 0, offset: 0, total: Object.keys(byYear).length},
    columns: ['Nation ID', 'Nation', 'Year', 'Population'],
    data: Object.entries(byYear).map(([year, population]) => ({'Nation ID': '01000US', Nation: 'United States', Year: Number(year), Population: population})),
  })

/** The legacy shape: `ID Year` a number and `Year` a string. */
export const populationLegacy = (byYear: Record<number, number>): string =>
  JSON.stringify({
    data: Object.entries(byYear)
      .reverse()
      .map(([year, population]) => ({'ID Nation': '01000US', Nation: 'United States', 'ID Year': Number(year), Year: year, Population: population, 'Slug Nation': 'united-states'})),
    source: [{name: 'acs_yg_total_population_1'}],
  })

export const NATION = {2013: 316128839, 2014: 318857056, 2015: 321418821, 2016: 323127515, 2017: 325719178, 2018: 327167439, 2019: 328239523}

/** The quest's example, plus the default series of the series report. */
export const QUEST_ROWS: DataRow[] = [
  ['PRS30006011', 1995, 'Q01', 1],
  ['PRS30006011', 1995, 'Q02', 2],
  ['PRS30006011', 1996, 'Q01', 3],
  ['PRS30006011', 1996, 'Q02', 4],
  ['PRS30006012', 2000, 'Q01', 0],
  ['PRS30006012', 2000, 'Q02', 8],
  ['PRS30006012', 2001, 'Q01', 2],
  ['PRS30006012', 2001, 'Q02', 3],
  ['PRS30006032', 2018, 'Q01', 0.4],
  ['PRS30006032', 2019, 'Q01', -1.6],
  ['PRS30006032', 2020, 'Q01', -6.7],
  ['PRS30006032', 2020, 'Q02', 9.9],
]

/** A folder store holding the given raw files (keys → content). */
export async function rawStore(files: Record<string, string>): Promise<Store> {
  const store = new FolderStore(await tempDir())
  for (const [key, content] of Object.entries(files)) await store.write(key, content)
  await store.flush() // as fetch leaves it: the manifest written
  return store
}

export const DATA_KEY = 'bls/pr/pr.data.0.Current'
export const POPULATION_KEY = 'datausa/population.json'

/** A raw store with a data file of `rows` and the nation population 2013–2019 (current shape). */
export const questStore = (rows: readonly DataRow[] = QUEST_ROWS, extra: Record<string, string> = {}): Promise<Store> =>
  rawStore({[DATA_KEY]: dataFile(rows), [POPULATION_KEY]: populationCurrent(NATION), ...extra})

/** Rows with a Unicode space beside a field (issue 19 item 12), the reason each gets, and U+2003 inside a series id: kept. */
export const UNICODE_SPACE_ROWS: [string, RegExp][] = [
  ['PRS30006011\t\u00a01997\tQ01\t1', /^year "\u00a01997" is not a year \(it holds U\+00A0, a space that is not trimmed\)$/],
  ['PRS30006011\t1997\tQ01\u2003\t1', /^period "Q01\u2003" is not Q01–Q05 \(it holds U\+2003, /],
  ['PRS30006011\t1997\tQ01\t\ufeff1.5', /^value "\ufeff1.5" is not a decimal number \(it holds U\+FEFF, /],
  ['PRS30006011\t1997\tQ01\t1.5\u00a0\t', /^value "1.5\u00a0" is not a decimal number \(it holds U\+00A0, /],
  ['PRS30006012\u00a0\t1997\tQ01\t1', /^series_id "PRS30006012\u00a0" has U\+00A0 at an edge, a space that is not trimmed$/],
  ['\ufeffPRS30006099\t1997\tQ01\t1', /^series_id "\ufeffPRS30006099" has U\+FEFF at an edge/],
  ['\u00a0', /^has 1 field, expected at least 4$/],
]
