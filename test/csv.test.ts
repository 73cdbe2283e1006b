import Papa from 'papaparse'
import t from 'tap'

import {csvColumns, csvColumnsBytes, csvText} from '../src/util/csv.js'
import {sanitize} from '../src/util/sanitize.js'

type Cell = string | number | null

/** What the CSV files were before csvText: papaparse's unparse of the sanitized cells. */
const papaparse = (headers: string[], rows: Cell[][]): string =>
  Papa.unparse({fields: headers, data: rows.map((row) => row.map((cell) => (typeof cell === 'string' ? sanitize(cell) : cell)))}, {newline: '\n', escapeFormulae: true})

t.test('csvText writes what papaparse wrote, cell for cell', async (t) => {
  const tricky: Cell[] = [
    'plain', '', ' lead', 'trail ', 'a,b', 'say "hi"', '"', 'two\nlines', 'cr\rhere', '\ufeffbom', '=1+2', '+1', '-1', '@sum', '\tTab', 'x=1',
    'Output per hour — all persons', '\u001b[31mred\u001b[0m', 'bidi\u202eflip', 'é ü 中', null, 0, -0.5, 1e21, 105.125, -2, NaN,
  ]
  let seed = 3
  const pick = (): Cell => tricky[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % tricky.length]!
  const headers = ['series_id', 'year', '=value', 'a "title"']
  const rows = Array.from({length: 500}, () => headers.map(pick))
  t.equal(csvText(headers, rows), papaparse(headers, rows))
  for (const cell of tricky) t.equal(csvText(['h'], [[cell]]), papaparse(['h'], [[cell]]), JSON.stringify(cell))
  t.equal(csvText(['a', 'b'], []), 'a,b', 'no rows: the header alone')
})

t.test('csvColumns is csvText by columns; csvColumnsBytes its UTF-8 with a final line end, ASCII or not', async (t) => {
  const headers = ['id', 'n', 'text']
  const columns: Cell[][] = [
    ['PRS1', 'PRS2', '=x', null],
    [1, -2.5, null, 1e21],
    ['plain', 'a "q"', ' lead', 'trail '],
  ]
  const rows = columns[0]!.map((_, r) => columns.map((column) => column[r]!))
  const text = csvText(headers, rows)
  t.equal(csvColumns(headers, columns), text)
  t.same(csvColumnsBytes(headers, columns), Buffer.from(`${text}\n`), 'ASCII: written in place')
  // Beyond ASCII anywhere, and where the bytes an ASCII table would have left hide it (`éa€` fits as `éa`).
  for (const odd of ['é ü 中', '😀', 'éa€', '\u202eflip']) {
    for (const at of [0, 3]) {
      const changed = columns.map((column) => [...column])
      changed[2]![at] = odd
      const changedRows = changed[0]!.map((_, r) => changed.map((column) => column[r]!))
      t.same(csvColumnsBytes(headers, changed), Buffer.from(`${csvText(headers, changedRows)}\n`), `${JSON.stringify(odd)} in row ${at}`)
    }
  }
  t.same(csvColumnsBytes(['a', 'b'], [[], []]), Buffer.from('a,b\n'), 'no rows: the header alone')
})
