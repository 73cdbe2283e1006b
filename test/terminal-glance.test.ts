// A glance in the terminal: the series headline's sparkline, and on a terminal the series table's
// joined years (those with a population) rather than its first rows.
import t from 'tap'

import ReportCommand from '../src/commands/report.js'
import TransformCommand from '../src/commands/transform.js'
import {SPARKLINE_WIDTH, sparkline} from '../src/render/sparkline.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {runCommand} from './helpers/cli.js'
import {fixtureRaw} from './helpers/fixture-store.js'

t.teardown(removeTempDirs)

t.test('sparkline: lowest ▁ to highest █, equal values mid-height, long series averaged to a fixed width', async (t) => {
  t.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), '▁▂▃▄▅▆▇█')
  t.equal(sparkline([-1.6, 0.4, -6.7]), '▆█▁')
  t.equal(sparkline([3, 3, 3]), '▄▄▄')
  t.equal(sparkline([]), '')
  const long = sparkline(Array.from({length: 200_000}, (_, i) => i))
  t.equal(long.length, SPARKLINE_WIDTH)
  t.equal(long[0], '▁')
  t.equal(long.at(-1), '█')
})

/** Run `report` as if stdout were a terminal. */
async function onTerminal(args: string[]): Promise<string> {
  const descriptor = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
  Object.defineProperty(process.stdout, 'isTTY', {value: true, configurable: true})
  try {
    const result = await runCommand(ReportCommand, args, {NO_COLOR: '1'})
    if (result.exitCode !== 0) throw new Error(result.stderr)
    return result.stdout
  } finally {
    if (descriptor) Object.defineProperty(process.stdout, 'isTTY', descriptor)
    else delete (process.stdout as {isTTY?: boolean}).isTTY
  }
}

t.test('on a terminal the series table shows the joined years; --limit and pipes show rows in order', async (t) => {
  const processed = await tempDir()
  t.equal((await runCommand(TransformCommand, ['--raw', await fixtureRaw(), '--processed', processed])).exitCode, 0)
  const rowYears = (text: string): number[] => [...text.matchAll(/^PRS30006032 +(\d{4}) /gm)].map((m) => Number(m[1]))

  const terminal = await onTerminal(['--processed', processed, '--only', 'series'])
  t.match(terminal, /^PRS30006032 Q01: 30 years \(1995–2024\) [▁▂▃▄▅▆▇█]{30}, population known for 7$/m, 'the headline carries a sparkline')
  t.same(rowYears(terminal), [2013, 2014, 2015, 2016, 2017, 2018, 2019], 'the 7 joined years, not 1995–2014')
  t.match(terminal, '… 23 more rows not shown; --limit 0 shows all')

  t.same(rowYears(await onTerminal(['--processed', processed, '--only', 'series', '--limit', '3'])), [1995, 1996, 1997], '--limit: the first rows')
  t.equal(rowYears(await onTerminal(['--processed', processed, '--only', 'series', '--limit', '0'])).length, 30)
  const piped = await runCommand(ReportCommand, ['--processed', processed, '--only', 'series'])
  t.equal(rowYears(piped.stdout).length, 30, 'piped: complete')
})
