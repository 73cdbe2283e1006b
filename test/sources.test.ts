import {readFile} from 'node:fs/promises'
import path from 'node:path'

import t from 'tap'

import {backoffDelay, HttpClient, HttpStatusError, type RetryEvent, retryAfterMs} from '../src/http/client.js'
import {MissingContactError, userAgent} from '../src/http/user-agent.js'
import {parseListing, parseRootListing, readListing, UpstreamForbiddenError} from '../src/sources/bls.js'
import {parseSurveyList, SurveyCodeError, surveyUrl} from '../src/sources/upstream.js'
import {canonicalJson, parsePopulation, PopulationFormatError, readPopulation} from '../src/sources/population.js'
import {Limiter} from '../src/util/concurrency.js'
import {FIXTURES, sampleFiles, serveFiles, startUpstream} from './helpers/upstream.js'

const LISTING_URL = 'https://download.bls.gov/pub/time.series/pr/'
const line = (href: string, text = href, size = '1504795'): string => `  6/6/2024  8:30 PM      ${size} <A HREF="${href}">${text}</A><br>`
const listingOf = (...lines: string[]): string =>
  `<html><body><pre><A HREF="/pub/time.series/">[To Parent Directory]</A><br><br>${lines.join('')}</pre></body></html>`

t.test('parseListing reads IIS lines: date, time, size, link', async (t) => {
  const {entries, warnings} = parseListing(listingOf(line('/pub/time.series/pr/pr.data.0.Current', 'pr.data.0.Current'), ' 9/13/2022 11:52 AM          562 <a href="pr.contacts">pr.contacts</a><br>'), LISTING_URL)
  t.same(warnings, [])
  t.same(entries, [
    {name: 'pr.contacts', url: `${LISTING_URL}pr.contacts`, size: 562, date: '2022-09-13T11:52'},
    {name: 'pr.data.0.Current', url: `${LISTING_URL}pr.data.0.Current`, size: 1504795, date: '2024-06-06T20:30'},
  ])
  t.same(parseListing(listingOf(line('/pub/time.series/pr/a%20b&amp;c')), 'https://download.bls.gov/pub/time.series/pr').entries.map((e) => [e.name, e.url]), [
    ['a b&c', `${LISTING_URL}a%20b%26c`],
  ])
  t.same(parseListing(' 1/7/1994 12:05 AM 5 <A HREF="x">x</A>', LISTING_URL).entries[0]?.date, '1994-01-07T00:05', '12 AM is midnight')
})

t.test('parseListing skips, with a warning, everything but plain files of the directory', async (t) => {
  const odd: [string, RegExp][] = [
    ['../x', /contains \.\./],
    ['/pub/time.series/pr/%2E%2E/x', /contains \.\./],
    ['/etc/passwd', /points outside \/pub\/time\.series\/pr\//],
    ['http://evil.example/pub/time.series/pr/x', /another host \(http:\/\/evil\.example\)/],
    ['//evil.example/x', /another host/],
    ['/pub/time.series/pr/sub/x', /not a plain file name \(a sub-path or folder\)/],
    ['/pub/time.series/pr/sub/', /a sub-path or folder/],
    ['/pub/time.series/pr/a%2Fb', /is not a plain file name$/],
    ['/pub/time.series/pr/%0a', /is not a plain file name$/],
    ['/pub/time.series/pr/%zz', /not valid percent-encoding/],
    ['/pub/time.series/pr/x?y=1', /query or fragment/],
    ['http://[::1', /not a valid URL/],
  ]
  const {entries, warnings} = parseListing(listingOf(...odd.map(([href]) => line(href))), LISTING_URL)
  t.same(entries, [])
  t.equal(warnings.length, odd.length)
  odd.forEach(([href, reason], i) => t.match(warnings[i], reason, href))

  const folder = parseListing(listingOf('  6/6/2024  8:30 AM        &lt;dir&gt; <A HREF="/pub/time.series/pr/old">old</A><br>'), LISTING_URL)
  t.match(folder.warnings, [/is a folder/])
  const twice = parseListing(listingOf(line('pr.txt'), line('pr.txt')), LISTING_URL)
  t.equal(twice.entries.length, 1)
  t.match(twice.warnings, [/listed twice/])
  const bare = parseListing('<a href="pr.txt">pr.txt</a>', LISTING_URL)
  t.match(bare.warnings, [/no date and size before it/])
  t.same(parseListing('<html><body>Service unavailable</body></html>', LISTING_URL), {entries: [], warnings: []})
})

t.test('parseListing on the real listing', async (t) => {
  const html = await readFile(path.join(FIXTURES, 'bls-pr-2024-06-06/listing.html'), 'utf8')
  const tsv = (await readFile(path.join(FIXTURES, 'bls-pr-2024-06-06/files.tsv'), 'utf8')).trim().split('\n').slice(1)
  const {entries, warnings} = parseListing(html, LISTING_URL)
  t.same(warnings, [])
  t.same(
    entries.map((e) => [e.name, e.size]),
    tsv.map((row) => row.split('\t')).map(([name, , size]) => [name, Number(size)]),
  )
  t.equal(entries.find((e) => e.name === 'pr.contacts')?.date, '2022-09-13T16:52')
})

/** Two estimates in the statistics' years, which every accepted response needs, after `rows`. */
const needed = (...rows: object[]): string => JSON.stringify({data: [...rows, {Year: 2013, Population: 1}, {Year: 2014, Population: 2}]})

t.test('parsePopulation accepts both API shapes and refuses broken bodies', async (t) => {
  const current = parsePopulation(JSON.stringify({annotations: {b: 1, a: 2}, data: [{'Nation ID': '01000US', Year: 2019, Population: 328239523.0}, {Year: 2013, Population: 1}, {Year: 2014, Population: 2}]}), 'api')
  t.same(current.rows, [{year: 2019, population: 328239523}, {year: 2013, population: 1}, {year: 2014, population: 2}])
  t.equal(current.shape, 'current')
  t.equal(current.canonical, canonicalJson({annotations: {a: 2, b: 1}, data: [{'Nation ID': '01000US', Population: 328239523, Year: 2019}, {Population: 1, Year: 2013}, {Population: 2, Year: 2014}]}))
  t.match(current.canonical, /^\{\n {2}"annotations": \{\n {4}"a": 2,\n {4}"b": 1\n/, 'keys sorted, two-space indented')
  const legacy = parsePopulation(JSON.stringify({data: [{'ID Year': 2013, Year: '2013', Population: 316128839}, {'ID Year': 2014, Year: '2014', Population: 318857056}]}), 'api')
  t.same([legacy.shape, legacy.rows], ['legacy', [{year: 2013, population: 316128839}, {year: 2014, population: 318857056}]])
  t.same(parsePopulation(needed({Year: '2012', Population: 1}), 'api').rows[0], {year: 2012, population: 1}, 'a year as a string')
  t.same(parsePopulation(needed({Year: 2020, Population: null}, {Year: 2021}), 'api').rows.slice(0, 2), [{year: 2020, population: null}, {year: 2021, population: null}], 'a year without an estimate is kept, as null')

  const broken: [string, RegExp][] = [
    ['  <html><body>Bad Gateway</body></html>', /population API \(api\): returned an HTML page instead of JSON \("<html><body>Bad Gateway/],
    ['{"data": [1,', /returned invalid JSON/],
    ['[]', /population API \(api\): has no "data" array; the stored population.json was left as it was/],
    ['{"data": {}}', /has no "data" array/],
    ['{"data": []}', /returned an empty "data" array/],
    ['{"data": [{"Year": 2019, "Population": -1}]}', /data\[0\] has Population -1, expected a whole number/],
    ['{"data": [{"Year": 2019.5, "Population": 1}]}', /data\[0\] has no year/],
    ['{"data": [{"Year": "19", "Population": 1}]}', /data\[0\] has no year/],
    ['{"data": [{"Year": 2019, "Population": "1"}]}', /data\[0\] has Population "1"/],
    ['{"data": [7]}', /data\[0\] has no year: 7/],
    // Fetch refuses what transform could not use, so a bad answer never replaces a good copy.
    ['{"data": [{"Year": 2019, "Population": 1}]}', /has 0 estimates for 2013–2018; the population statistics need at least 2/],
    ['{"data": [{"Year": 2013, "Population": 1}, {"Year": 2014, "Population": null}]}', /has 1 estimate for 2013–2018/],
    [needed({Year: 2013, Population: 5}), /has 2 rows for 2013: a drilldown other than Nation/],
    [needed({'State ID': '04000US06', State: 'California', Year: 2013, Population: 1}), /is not nation-level \(its rows have "State ID"\)/],
  ]
  for (const [body, message] of broken) t.throws(() => parsePopulation(body, 'api'), message, body)
  t.throws(() => parsePopulation('{"data": []}', 'api'), PopulationFormatError)
  t.equal(canonicalJson({b: [{d: 1, c: null}], a: 'x'}), '{\n  "a": "x",\n  "b": [\n    {\n      "c": null,\n      "d": 1\n    }\n  ]\n}\n')
})

t.test('parsePopulation on the real responses', async (t) => {
  const read = async (name: string): Promise<string> => readFile(path.join(FIXTURES, 'datausa', name), 'utf8')
  const current = parsePopulation(await read('nation-acs1-tesseract.json'), 'tesseract')
  const legacy = parsePopulation(await read('nation-acs1-legacy.json'), 'legacy')
  t.equal(current.shape, 'current')
  t.equal(legacy.shape, 'legacy')
  const byYear = (rows: {year: number}[]) => [...rows].sort((a, b) => a.year - b.year)
  t.same(byYear(current.rows), byYear(legacy.rows), 'both shapes carry the same values')
  t.equal(current.rows.length, 7)
  const state = await read('state-acs5-tesseract.json')
  t.throws(() => parsePopulation(state, 'state'), /not nation-level|rows for 2013/, 'a State drilldown never replaces the stored copy')
})

t.test('userAgent names dataquest, its version and the contact', async (t) => {
  t.equal(userAgent('1.2.3', ' me@example.com '), 'dataquest/1.2.3 (+me@example.com)')
  t.equal(userAgent('1.2.3', 'https://example.com/contact'), 'dataquest/1.2.3 (+https://example.com/contact)')
  t.throws(() => userAgent('1', undefined), MissingContactError)
  t.throws(() => userAgent('1', 'a b'), /not a plain e-mail address or URL/)
  t.throws(() => userAgent('1', 'a)b'), /not a plain e-mail address or URL/)
})

t.test('retry pacing', async (t) => {
  t.equal(retryAfterMs(null), undefined)
  t.equal(retryAfterMs(' '), undefined)
  t.equal(retryAfterMs('3'), 3000)
  t.equal(retryAfterMs('Thu, 01 Jan 1970 00:00:10 GMT', 4000), 6000)
  t.equal(retryAfterMs('Thu, 01 Jan 1970 00:00:01 GMT', 4000), 0, 'a date in the past: now')
  t.equal(retryAfterMs('soon'), undefined)
  t.equal(backoffDelay(1, 100, 10_000, () => 0), 50)
  t.equal(backoffDelay(3, 100, 10_000, () => 1), 400)
  t.equal(backoffDelay(20, 100, 1000, () => 1), 1000, 'capped')
})

t.test('HttpClient against the local server', async (t) => {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const retries: RetryEvent[] = []
  const client = new HttpClient({userAgent: 'dataquest/test (+me@example.com)', backoffMs: 1, retries: 2, onRetry: (event) => retries.push(event)})

  t.test('a 404 is not retried', async (t) => {
    await t.rejects(client.get(`${upstream.url}/nothing`, {}, async () => 'x'), HttpStatusError)
    t.equal(retries.length, 0)
  })

  t.test('a 503 on every attempt gives up after the retries', async (t) => {
    upstream.failNext('listing', {status: 503, headers: {'Retry-After': 'Thu, 01 Jan 1970 00:00:00 GMT'}}, 3)
    const before = client.requests
    await t.rejects(readListing(client, upstream.blsUrl), /answered 503 Service Unavailable/)
    t.equal(client.requests - before, 3)
    t.match(retries, [{attempt: 1, delayMs: 0, reason: '503 Service Unavailable'}, {attempt: 2}])
  })

  t.test('a 403 from BLS carries the contact hint; other statuses do not', async (t) => {
    upstream.failNext('listing', {status: 403})
    await t.rejects(readListing(client, upstream.blsUrl), UpstreamForbiddenError)
    upstream.failNext('listing', {status: 410})
    await t.rejects(readListing(client, upstream.blsUrl), /answered 410 Gone$/)
    upstream.population.rawBody = '<html>maintenance</html>'
    await t.rejects(readPopulation(client, upstream.populationUrl), /HTML page/)
  })

  t.test('a connection refused is retried, then reported with the URL and its cause', async (t) => {
    const closed = await startUpstream()
    await closed.close()
    const quick = new HttpClient({userAgent: 'x', backoffMs: 1, retries: 1})
    const port = new URL(closed.url).port
    await t.rejects(quick.get(`${closed.url}/pub/`, {}, async () => 'x'), {message: `${closed.url}/pub/: connection refused (127.0.0.1:${port})`, cause: {cause: {code: 'ECONNREFUSED'}}})
    t.equal(quick.requests, 2)
  })

  t.test('a server that sends no headers times out per attempt', async (t) => {
    upstream.latencyMs = 300
    t.teardown(() => {
      upstream.latencyMs = 0
    })
    const events: RetryEvent[] = []
    const slow = new HttpClient({userAgent: 'x', headersTimeoutMs: 50, backoffMs: 1, retries: 1, onRetry: (event) => events.push(event)})
    await t.rejects(slow.get(upstream.populationUrl, {}, (response) => response.text()), {message: `${upstream.populationUrl}: no response within 0.05s (connect and headers)`})
    t.match(events, [{reason: 'no response within 0.05s (connect and headers)'}])
  })

  t.test('at most 4 requests at once, even when asked for more', async (t) => {
    upstream.latencyMs = 40
    upstream.resetCounts()
    t.teardown(() => {
      upstream.latencyMs = 0
    })
    const limited = new HttpClient({userAgent: 'dataquest/test (+me@example.com)'})
    const bodies = await Promise.all(Array.from({length: 10}, () => limited.get(`${upstream.blsUrl}pr.txt`, {}, (response) => response.text())))
    t.same(new Set(bodies), new Set([sampleFiles()['pr.txt']]))
    t.equal(upstream.requests.maxInFlight, 4)
    t.equal(limited.bytesReceived, 10 * sampleFiles()['pr.txt']!.length)
    const shared = new Limiter(1)
    t.equal(new HttpClient({userAgent: 'x', limiter: shared}).limiter, shared)
  })

  t.test('a 304 hands over an empty body', async (t) => {
    const file = upstream.files.get('pr.txt')!
    const ua = {userAgent: 'dataquest/test (+me@example.com)'}
    const text = await new HttpClient(ua).get(`${upstream.blsUrl}pr.txt`, {'if-modified-since': file.lastModified.toUTCString()}, async (response) => [response.status, await response.text()])
    t.same(text, [304, ''])
  })
})

t.test('survey codes: parsed, checked, and placed under the root', async (t) => {
  t.same(parseSurveyList('pr'), ['pr'])
  t.same(parseSurveyList(' PR,cu , ce,pr'), ['pr', 'cu', 'ce'])
  t.equal(parseSurveyList(' All '), 'all')
  for (const bad of ['', 'p', 'pr1', 'p/', '..', 'all,pr', 'pr,,cu']) t.throws(() => parseSurveyList(bad), SurveyCodeError, JSON.stringify(bad))
  t.throws(() => parseSurveyList('pr,c%'), {message: '"c%" is not a BLS survey code: give two letters, like pr, cu or ce (comma-separated), or all'})
  t.equal(surveyUrl('https://download.bls.gov/pub/time.series/', 'cu'), 'https://download.bls.gov/pub/time.series/cu/')
  t.equal(surveyUrl('http://127.0.0.1:1/pub/time.series', 'cu'), 'http://127.0.0.1:1/pub/time.series/cu/', 'a root without its slash')
})

t.test('parseRootListing keeps the survey folders and warns about every other link', async (t) => {
  const root = 'https://download.bls.gov/pub/time.series/'
  const dir = (href: string, text = href): string => `  3/11/2025  8:30 AM        &lt;dir&gt; <A HREF="${href}">${text}</A><br>`
  const html = listingOf(dir('/pub/time.series/pr/', 'pr'), dir('cu/', 'cu'), dir('/pub/time.series/compressed/', 'compressed'), dir('/pub/time.series/a%20b/', 'a b'), dir('/pub/other/xx/'), line('/pub/time.series/overview.txt'), dir('/pub/time.series/pr/'))
  const {surveys, warnings} = parseRootListing(html, root)
  t.same(surveys, ['cu', 'pr'])
  t.match(warnings, [/points outside \/pub\/time\.series\//, /"\/pub\/time\.series\/overview\.txt": is a file, not a folder/, /listed twice/, /"a b": not a survey code/, /"compressed": not a survey code/])
  t.same(parseListing(html, root).entries.map((e) => e.name), ['overview.txt'], 'a survey listing takes its files, no folders')
})
