// The page transform writes, opened from disk in a real browser (headless Chromium through
// playwright-core): what a person sees — the points, bars, axis labels and tables — with no console
// error and no request. A screenshot is kept in test/artifacts/ (gitignored).
import {existsSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import t from 'tap'

import TransformCommand from '../src/commands/transform.js'
import {PAGE_KEY, parseReport, type SeriesPopulationReport, type BestYearReport} from '../src/reports/index.js'
import {removeTempDirs, tempDir} from './helpers/bls-files.js'
import {projectRoot, runCommand} from './helpers/cli.js'
import {fixtureRaw} from './helpers/fixture-store.js'

const CHROMIUM = process.env.DATAQUEST_CHROMIUM ?? '/usr/bin/chromium'
export const ARTIFACTS = path.join(projectRoot, 'test/artifacts')

if (!existsSync(CHROMIUM)) {
  t.plan(0, `no Chromium at ${CHROMIUM} (apt-get install -y chromium, as .ci/run does; or set DATAQUEST_CHROMIUM)`)
} else {
  t.teardown(removeTempDirs)

  t.test('report.html in headless Chromium: every point, bar, axis label and table row, no console error, no request', async (t) => {
    const raw = await fixtureRaw()
    const processed = await tempDir()
    const transform = await runCommand(TransformCommand, ['--raw', raw, '--processed', processed])
    t.equal(transform.exitCode, 0, transform.stderr)
    const read = async <R>(name: string): Promise<R> => parseReport(JSON.parse(await readFile(path.join(processed, `${name}.json`), 'utf8'))) as R
    const series = await read<SeriesPopulationReport>('series_population')
    const best = await read<BestYearReport>('best_year_by_series')
    const known = series.rows.filter((row) => row.population !== null).length

    const {chromium} = await import('playwright-core')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: 120_000,
    })
    t.teardown(() => browser.close())
    const page = await browser.newPage({viewport: {width: 900, height: 1000}})
    const problems: string[] = []
    const requests: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('request', (request) => requests.push(request.url()))
    const url = pathToFileURL(path.join(processed, PAGE_KEY)).href
    await page.goto(url, {waitUntil: 'load', timeout: 60_000})

    t.equal(await page.title(), 'dataquest reports')
    t.equal(await page.locator('circle.series-point').count(), series.rows.length, `one point per year of ${series.parameters.seriesId}`)
    t.equal(await page.locator('rect.population-point').count(), known, 'one square per year with a population')
    t.equal(await page.locator('rect.no-population').count(), series.rows.length - known, 'each year without a population marked')
    const bestYears = new Set(best.rows.map((row) => `${row.year}`))
    const barYears = new Set(await page.locator('rect.bar').evaluateAll((bars) => bars.map((bar) => bar.getAttribute('data-year'))))
    t.same([...barYears].sort(), [...bestYears].sort(), 'a bar for every best year')
    const labels = await page.locator('text.axis-label').allTextContents()
    t.same(labels, [`${series.parameters.seriesId} ${series.parameters.period} value`, 'year', 'US population', 'series', 'best year'], 'axis labels')
    t.same(await page.locator('h2').allTextContents(), [
      `${series.parameters.seriesId} ${series.parameters.period} against the US population`,
      'Best year of each series',
      'US population 2013–2018',
    ])
    t.equal(await page.locator('#series_population-table tbody tr').count(), series.rows.length)
    t.equal(await page.locator('#best_year_by_series-table tbody tr').count(), best.rows.length)
    t.equal(await page.locator('#population_stats-table tbody tr').count(), 1)

    // Drawn, not just present: the chart has a size on screen and its points lie inside it.
    const chart = (await page.locator('svg.chart').first().boundingBox())!
    t.ok(chart.width > 700 && chart.height > 250, `the series chart is ${chart.width}×${chart.height} px`)
    const point = (await page.locator('circle.series-point').first().boundingBox())!
    t.ok(point.x >= chart.x && point.x <= chart.x + chart.width && point.y >= chart.y && point.y <= chart.y + chart.height, 'a point inside its chart')
    t.ok(await page.locator('circle.series-point').first().isVisible())

    t.same(problems, [], 'no console error or warning')
    t.same(requests, [url], 'the page alone was requested: nothing else, nothing from the network')

    await mkdir(ARTIFACTS, {recursive: true})
    await page.screenshot({path: path.join(ARTIFACTS, 'report-page.png')})
    await page.locator('#best_year_by_series svg').screenshot({path: path.join(ARTIFACTS, 'report-best-year.png')})
    t.ok(existsSync(path.join(ARTIFACTS, 'report-page.png')), `screenshot in ${path.relative(projectRoot, ARTIFACTS)}/`)
  })
}
