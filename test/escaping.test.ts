// Issue 19, items 6 and 7: bytes read from a store (a lock file's holder, report series ids and
// titles) print as text: no escape sequence or bidi control reaches the terminal, JSON escapes
// them (same value), markdown escapes HTML.
import {mkdtemp, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import t from 'tap'

import Fetch from '../src/commands/fetch.js'
import ReportCommand from '../src/commands/report.js'
import {serializeReport} from '../src/reports/index.js'
import type {BestYearReport} from '../src/reports/types.js'
import {LOCK_NAME} from '../src/stores/folder.js'
import {escapeJson} from '../src/util/sanitize.js'
import {runCommand} from './helpers/cli.js'
import {populationReport, seriesReport} from './helpers/sample-reports.js'

const RLO = '\u202e'
const OSC_TITLE = '\u001b]0;owned\u0007'
const C1 = '\u009b'
const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-escaping-'))
// eslint-disable-next-line no-control-regex -- these are what must not reach a terminal
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

t.test('a hostile lock file prints as plain text, with --json too', async (t) => {
  const raw = await tempDir()
  // A live holder (this process), whose text fields carry a terminal title, a C1 CSI and an RLO.
  const holder = {pid: process.pid, host: os.hostname(), startedAt: `2026-01-01${RLO}T00:00Z`, command: `fetch${OSC_TITLE}${C1}2J`}
  await writeFile(path.join(raw, LOCK_NAME), JSON.stringify(holder))
  const plain = await runCommand(Fetch, ['--raw', raw, '--contact', 'me@example.com'])
  t.equal(plain.exitCode, 1)
  t.match(plain.stderr, `Error: ${raw} is being written by dataquest fetch (pid ${process.pid} on ${os.hostname()}, since 2026-01-01T00:00Z)`)
  t.notMatch(plain.stderr, UNSAFE)

  const json = await runCommand(Fetch, ['--raw', raw, '--contact', 'me@example.com', '--json'])
  t.equal(json.exitCode, 1)
  t.notMatch(json.stdout, UNSAFE, 'nothing raw on stdout')
  const {error} = JSON.parse(json.stdout) as {error: {message: string}}
  t.match(error.message, `is being written by dataquest fetch (pid ${process.pid}`)

  // A user's theme (theme.json in the config directory) goes to oclif's JSON printer: escaped all the same.
  const configDir = await tempDir()
  await writeFile(path.join(configDir, 'theme.json'), JSON.stringify({json: {key: 'blue', string: 'green'}}))
  const themed = await runCommand(Fetch, ['--raw', raw, '--contact', 'me@example.com', '--json'], {DATAQUEST_CONFIG_DIR: configDir})
  t.equal(themed.stdout, json.stdout, 'the same JSON (off a terminal, no colours)')
})

t.test('report: --format json escapes bidi and C1 controls, markdown escapes HTML, the table strips them', async (t) => {
  const processed = await tempDir()
  const bestYear: BestYearReport = {
    report: 'best_year_by_series',
    parameters: {dataFile: 'pr.data.0.Current'},
    inputs: [],
    rows: [{series_id: `PRS${RLO}1<script>alert(1)</script>`, year: 2019, value: 1.5, basis: 'quarterly', title: `a | b & <img src=x onerror=alert(1)>${C1}`}],
  }
  const series = {...seriesReport(), parameters: {seriesId: `<b>PRS${RLO}</b>`, period: 'Q01'}}
  for (const report of [populationReport(), bestYear, series]) await writeFile(path.join(processed, `${report.report}.json`), serializeReport(report))
  const env = {DATAQUEST_PROCESSED: processed}

  const json = await runCommand(ReportCommand, ['--format', 'json'], env)
  t.equal(json.exitCode, 0, json.stderr)
  t.notMatch(json.stdout, UNSAFE)
  const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as {rows?: unknown[]})
  t.same(lines[1]!.rows, bestYear.rows, 'the same values')

  const markdown = await runCommand(ReportCommand, ['--format', 'markdown'], env)
  t.notMatch(markdown.stdout, UNSAFE)
  t.notMatch(markdown.stdout, /<script|<img|<b>/, 'no raw HTML')
  t.match(markdown.stdout, '| PRS1&lt;script&gt;alert(1)&lt;/script&gt; |')
  t.match(markdown.stdout, '| a \\| b &amp; &lt;img src=x onerror=alert(1)&gt; |')
  t.match(markdown.stdout, '&lt;b&gt;PRS&lt;/b&gt; Q01: 2 years')

  const asJson = await runCommand(ReportCommand, ['--json'], env)
  t.notMatch(asJson.stdout, UNSAFE)
  t.equal((JSON.parse(asJson.stdout) as {reports: {parameters: {seriesId: string}}[]}).reports[2]!.parameters.seriesId, series.parameters.seriesId)

  const table = await runCommand(ReportCommand, [], env)
  t.notMatch(table.stdout, UNSAFE)
  t.equal(escapeJson(`"${RLO}\u2028"`), '"\\u202e\\u2028"')
})
