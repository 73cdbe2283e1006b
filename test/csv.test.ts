import Papa from 'papaparse'
import t from 'tap'

import {csvText} from '../src/util/csv.js'
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
