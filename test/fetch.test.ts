import {mkdtemp, readdir, readFile, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {buffer} from 'node:stream/consumers'

import {PutObjectCommand} from '@aws-sdk/client-s3'
import t, {type Test} from 'tap'

import Fetch from '../src/commands/fetch.js'
import {FetchError, type FetchEvent, type FetchOptions, fetchUpstream, resolveSurveys} from '../src/fetch/index.js'
import {planFetch, planPopulation, SOURCE_META} from '../src/fetch/plan.js'
import {POPULATION_KEY} from '../src/stores/raw-layout.js'
import {MissingContactError} from '../src/http/user-agent.js'
import {UpstreamForbiddenError} from '../src/sources/bls.js'
import {canonicalJson} from '../src/sources/population.js'
import {FolderStore, MANIFEST_NAME} from '../src/stores/folder.js'
import {md5Hex} from '../src/stores/md5.js'
import {openStore} from '../src/stores/open.js'
import type {Store} from '../src/stores/store.js'
import {GuardError} from '../src/mirror/guard.js'
import {runCommand} from './helpers/cli.js'
import {startEmulator} from './helpers/fauxqs.js'
import {sampleFiles, serveFiles, serveSnapshot, startUpstream, type UpstreamServer} from './helpers/upstream.js'

const CONTACT = 'tests@example.com'
const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'dataquest-fetch-'))
const content = async (store: Store, key: string): Promise<Buffer> => buffer(await store.read(key))

/** Every file under `root` with its mtime: equal snapshots mean nothing was written. */
async function mtimes(root: string): Promise<Record<string, number>> {
  const entries = await readdir(root, {recursive: true, withFileTypes: true})
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name))
  return Object.fromEntries(await Promise.all(files.map(async (file) => [path.relative(root, file), (await stat(file)).mtimeMs] as const)))
}

interface Setup {
  upstream: UpstreamServer
  root: string
  store: FolderStore
  options: FetchOptions
}

/**
 * A served sample directory and an empty folder store; retries paced for tests. The headers timeout
 * only bounds a hang: a retry on a loaded machine (5 s was reached once) would change the request
 * counts the tests assert.
 */
async function setup(t: Test): Promise<Setup> {
  const upstream = await startUpstream(t)
  serveFiles(upstream)
  const root = await tempDir()
  const store = new FolderStore(root)
  return {upstream, root, store, options: {store, contact: CONTACT, version: '9.9.9', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl, http: {backoffMs: 1, headersTimeoutMs: 30_000}}}
}

t.test('first fetch mirrors every listed file and the population API', async (t) => {
  const {upstream, root, store, options} = await setup(t)
  const events: FetchEvent[] = []
  const summary = await fetchUpstream({...options, onProgress: (event) => events.push(event)})
  const files = sampleFiles()
  for (const [name, body] of Object.entries(files)) t.equal((await content(store, `bls/pr/${name}`)).toString(), body, `${name} byte-identical`)
  t.match(summary, {added: 4, replaced: 0, deleted: 0, unchanged: 0, failed: 0, requests: 5, warnings: [], errors: []})
  t.equal(summary.bytes, Object.values(files).reduce((n, body) => n + Buffer.byteLength(body), 0) + (await stat(path.join(root, POPULATION_KEY))).size)
  t.ok(summary.downloaded > summary.bytes, 'the listing and the API body count as downloaded')
  t.equal(upstream.requests.total, 5)
  t.ok(upstream.log.every((request) => request.userAgent === `dataquest/9.9.9 (+${CONTACT})`), 'every request names the contact')
  t.ok(upstream.log.filter((request) => request.target.startsWith('file:')).every((request) => request.headers['accept-encoding'] === 'identity'))
  t.same(events.find((event) => event.type === 'planned'), {type: 'planned', counts: {add: 4, replace: 0, delete: 0, unchanged: 0, exclude: 0}})
  t.equal(events.filter((event) => event.type === 'file').length, 4)

  const stored = await store.stat('bls/pr/pr.txt')
  t.same(stored?.metadata, {
    [SOURCE_META.size]: String(Buffer.byteLength(files['pr.txt']!)),
    [SOURCE_META.date]: '2024-06-06T08:30',
    [SOURCE_META.lastModified]: 'Thu, 06 Jun 2024 08:30:00 GMT',
    [SOURCE_META.etag]: `"${md5Hex(files['pr.txt']!)}"`,
  })
  const population = JSON.parse(await readFile(path.join(root, POPULATION_KEY), 'utf8'))
  t.same(Object.keys(population.annotations), [...Object.keys(population.annotations)].sort(), 'keys stored sorted')
  t.equal(population.data.length, 7)
})

t.test('an unchanged upstream costs two requests and writes nothing', async (t) => {
  const {upstream, root, options} = await setup(t)
  await fetchUpstream(options)
  const before = await mtimes(root)
  upstream.resetCounts()
  const summary = await fetchUpstream(options)
  t.equal(upstream.requests.total, 2)
  t.same({listing: upstream.requests.listing, population: upstream.requests.population}, {listing: 1, population: 1})
  t.match(summary, {added: 0, replaced: 0, deleted: 0, unchanged: 4, bytes: 0, requests: 2})
  t.same(await mtimes(root), before, 'no file touched, though the API reordered its annotations')
  t.not(upstream.log.length, 0)
})

t.test('changed, added and removed upstream files', async (t) => {
  const {upstream, store, options} = await setup(t)
  await fetchUpstream(options)
  const series = 'series_id\tsector_code\r\nPRS30006011\t3000\r\nPRS30006012\t3000\r\n'
  upstream.setFile('pr.series', series, new Date(Date.UTC(2024, 6, 1)))
  upstream.setFile('pr.class', 'class_code\tclass_text\r\n')
  upstream.removeFile('pr.txt')
  upstream.resetCounts()
  const summary = await fetchUpstream(options)
  t.match(summary, {added: 1, replaced: 1, deleted: 1, unchanged: 2})
  t.match(summary.files.find((file) => file.key === 'bls/pr/pr.series')?.reason, `size ${sampleFiles()['pr.series']!.length} → ${series.length}, date 2024-06-06T08:30 → 2024-07-01T00:00`)
  t.equal((await content(store, 'bls/pr/pr.series')).toString(), upstream.files.get('pr.series')!.body.toString())
  t.equal((await content(store, 'bls/pr/pr.class')).toString(), 'class_code\tclass_text\r\n')
  t.equal(await store.stat('bls/pr/pr.txt'), undefined)
  t.equal(upstream.requests.total, 4, 'listing, API and the two changed files')
  t.notOk(upstream.log.some((request) => request.headers['if-modified-since']), 'a new size needs no conditional request')
})

t.test('a new date with the same content: a conditional GET, a 304, and metadata refreshed', async (t) => {
  const {upstream, store, options} = await setup(t)
  await fetchUpstream(options)
  upstream.setFile('pr.txt', sampleFiles()['pr.txt']!, new Date(Date.UTC(2024, 6, 1, 9)))
  upstream.resetCounts()
  const summary = await fetchUpstream(options)
  const asked = upstream.log.find((request) => request.target === 'file:pr.txt')
  t.match(asked, {status: 304, headers: {'if-none-match': `"${md5Hex(sampleFiles()['pr.txt']!)}"`, 'if-modified-since': 'Thu, 06 Jun 2024 08:30:00 GMT'}})
  t.match(summary.files.find((f) => f.key === 'bls/pr/pr.txt'), {action: 'unchanged', reason: /date 2024-06-06T08:30 → 2024-07-01T09:00; not modified \(304\)/})
  t.match(summary, {bytes: 0, requests: 3})
  t.match((await store.stat('bls/pr/pr.txt'))?.metadata, {[SOURCE_META.date]: '2024-07-01T09:00', [SOURCE_META.lastModified]: 'Mon, 01 Jul 2024 09:00:00 GMT'})
  upstream.resetCounts()
  t.match(await fetchUpstream(options), {unchanged: 4, requests: 2}, 'the refreshed metadata matches the listing')
})

t.test('a server without Last-Modified or ETag: listing changes mean a plain GET', async (t) => {
  const {upstream, store, options} = await setup(t)
  upstream.validators = false
  await fetchUpstream(options)
  t.same(Object.keys((await store.stat('bls/pr/pr.txt'))!.metadata), [SOURCE_META.size, SOURCE_META.date])
  upstream.setFile('pr.txt', 'Productivity and Cost\r\n', new Date(Date.UTC(2024, 6, 1)))
  upstream.resetCounts()
  t.match(await fetchUpstream(options), {replaced: 1, unchanged: 3})
  const asked = upstream.log.find((request) => request.target === 'file:pr.txt')
  t.match(asked, {status: 200})
  t.notOk(asked?.headers['if-modified-since'] ?? asked?.headers['if-none-match'], 'nothing to be conditional on')
  t.equal((await content(store, 'bls/pr/pr.txt')).toString(), 'Productivity and Cost\r\n')
})

t.test('no contact: fails before any request, explaining why', async (t) => {
  const {upstream, options} = await setup(t)
  await t.rejects(fetchUpstream({...options, contact: undefined}), MissingContactError)
  await t.rejects(fetchUpstream({...options, contact: '  '}), /no contact \(e-mail address or URL\) given: BLS answers 403/)
  await t.rejects(fetchUpstream({...options, contact: 'me (at) example'}), /not a plain e-mail address or URL/)
  t.equal(upstream.requests.total, 0)

  const result = await runCommand(Fetch, ['--raw', options.store.location, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl], {DATAQUEST_CONTACT: undefined})
  t.equal(result.exitCode, 2, 'a usage mistake')
  t.match(result.stderr, /BLS answers 403 Forbidden to robots whose User-Agent carries no contact.*--contact you@example.com or the DATAQUEST_CONTACT/)
  t.equal(upstream.requests.total, 0, 'the command made no request either')
})

t.test('a 403 from BLS gets the contact hint, and the previous copies stay', async (t) => {
  const {upstream, store, options} = await setup(t)
  await fetchUpstream(options)
  upstream.failNext('listing', {status: 403, body: '<html>Access Denied</html>'})
  const error = await fetchUpstream(options).catch((caught: unknown) => caught)
  t.type(error, FetchError)
  t.ok((error as FetchError).causes.some((cause) => cause instanceof UpstreamForbiddenError))
  t.equal((await content(store, 'bls/pr/pr.txt')).toString(), sampleFiles()['pr.txt'])

  upstream.failNext('listing', {status: 403})
  const result = await runCommand(Fetch, ['--raw', store.location], {DATAQUEST_CONTACT: CONTACT, DATAQUEST_BLS_URL: upstream.blsUrl, DATAQUEST_POPULATION_URL: upstream.populationUrl})
  t.equal(result.exitCode, 1)
  t.match(result.stderr, /answered 403 Forbidden: BLS answers 403.*DATAQUEST_CONTACT/)
})

t.test('a 500 then success, and a 429 with Retry-After, are retried', async (t) => {
  const {upstream, store, options} = await setup(t)
  upstream.failNext('file:pr.txt', {status: 500}, 2)
  upstream.failNext('population', {status: 429, headers: {'Retry-After': '0'}})
  const retries: FetchEvent[] = []
  const summary = await fetchUpstream({...options, onProgress: (event) => event.type === 'retry' && retries.push(event)})
  t.equal((await content(store, 'bls/pr/pr.txt')).toString(), sampleFiles()['pr.txt'])
  t.equal(upstream.requests.files['pr.txt'], 3)
  t.equal(summary.requests, 8, 'retries are counted')
  t.equal(retries.length, 3)
  t.match(retries, [{type: 'retry', reason: /429|500/}])
})

t.test('a truncated body keeps the old copy and names the file', async (t) => {
  for (const declaredLength of [true, false]) {
    t.test(declaredLength ? 'connection cut short of Content-Length' : 'clean end short of the listing size', async (t) => {
      const {upstream, root, store, options} = await setup(t)
      await fetchUpstream(options)
      const changed = Buffer.from('Productivity and Costs, revised\r\n')
      upstream.setFile('pr.txt', changed, new Date(Date.UTC(2024, 6, 1)))
      upstream.setFile('pr.series', 'series_id\r\n', new Date(Date.UTC(2024, 6, 1)))
      upstream.truncate.set('pr.txt', {declaredLength})
      const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
      t.type(error, FetchError)
      t.match(error.message, /bls\/pr\/pr\.txt/)
      t.match(error.summary, {failed: 1, replaced: 1})
      t.equal((await content(store, 'bls/pr/pr.txt')).toString(), sampleFiles()['pr.txt'], 'old copy kept')
      t.equal((await content(store, 'bls/pr/pr.series')).toString(), 'series_id\r\n', 'the other change went through')
      t.notOk((await readdir(path.join(root, 'bls/pr'))).some((name) => name.endsWith('.tmp')), 'no temp file left')

      upstream.truncate.delete('pr.txt')
      const retry = await fetchUpstream(options)
      t.match(retry, {replaced: 1, unchanged: 3})
      t.same(await content(store, 'bls/pr/pr.txt'), changed)
    })
  }
})

t.test('a listing size disagreeing with Content-Length is refused', async (t) => {
  const {upstream, store, options} = await setup(t)
  upstream.files.get('pr.txt')!.listed = {size: 999}
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.match(error.message, /bls\/pr\/pr\.txt: the server announced 24 bytes but the listing says 999/)
  t.equal(await store.stat('bls/pr/pr.txt'), undefined)
})

t.test('deletion guard: an empty listing or deleting more than half changes nothing', async (t) => {
  const {upstream, store, options} = await setup(t)
  await fetchUpstream(options)
  const saved = new Map(upstream.files)
  upstream.files.clear()
  await t.rejects(fetchUpstream(options), /the BLS listing yields no files.*nothing was changed/)
  t.equal((await store.list('bls/pr/')).length, 3, 'nothing deleted')

  upstream.setFile('pr.txt', saved.get('pr.txt')!.body)
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.ok(error.causes.some((cause) => cause instanceof GuardError))
  t.match(error.message, /would delete 2 of the 3 stored files/)
  t.equal((await store.list('bls/pr/')).length, 3)

  const result = await runCommand(Fetch, ['--raw', store.location, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl])
  t.equal(result.exitCode, 1)
  t.match(result.stderr, /more than half/)

  const forced = await fetchUpstream({...options, force: true})
  t.equal(forced.deleted, 2)
  t.same((await store.list('bls/pr/')).map((o) => o.key), ['bls/pr/pr.txt'])
})

t.test('deletion guard weighs bytes: a listing that drops the big data file changes nothing', async (t) => {
  const {upstream, store, options} = await setup(t)
  await fetchUpstream(options)
  upstream.removeFile('pr.data.0.Current')
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.ok(error.causes.some((cause) => cause instanceof GuardError))
  t.match(error.message, /the BLS listing would delete \d+ of the \d+ stored bytes \(more than half, in 1 of 3 files\)/)
  t.ok(await store.stat('bls/pr/pr.data.0.Current'), 'the data file is still there')
  t.match(await fetchUpstream({...options, force: true}), {deleted: 1})
})

t.test('hostile links are skipped with a warning; nothing lands outside the store', async (t) => {
  const {upstream, root, store, options} = await setup(t)
  const hostile = ['../x', '/etc/passwd', 'http://evil.example/pub/time.series/pr/x', '/pub/time.series/pr/sub/x', '/pub/time.series/pr/%2e%2e/x', '/pub/time.series/pr/a%2Fb']
  for (const href of hostile) upstream.extraLinks.push({href})
  const warnings: string[] = []
  const summary = await fetchUpstream({...options, onProgress: (event) => event.type === 'warning' && warnings.push(event.message)})
  t.equal(summary.warnings.length, hostile.length)
  t.same(warnings, summary.warnings)
  t.match(summary.warnings.join('\n'), /another host[\s\S]*contains \.\./)
  t.same((await store.list()).map((o) => o.key), ['bls/pr/pr.data.0.Current', 'bls/pr/pr.series', 'bls/pr/pr.txt', POPULATION_KEY])
  t.same((await readdir(path.dirname(root))).filter((name) => name === 'x' || name === 'passwd'), [])
  t.equal(upstream.requests.total, 5, 'no request for any hostile link')
})

t.test('population API: HTML error page, invalid JSON, empty data keep the previous file', async (t) => {
  const {upstream, root, store, options} = await setup(t)
  await fetchUpstream(options)
  const before = await readFile(path.join(root, POPULATION_KEY))
  const bad: [string, RegExp][] = [
    ['<!DOCTYPE html><html><body>502 Bad Gateway</body></html>', /returned an HTML page instead of JSON/],
    ['{"data": [', /returned invalid JSON/],
    ['{"data": []}', /empty "data" array/],
  ]
  for (const [body, message] of bad) {
    upstream.population.rawBody = body
    const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
    t.match(error.message, message)
    t.match(error.summary, {unchanged: 3}, 'BLS was still checked')
    t.same(await readFile(path.join(root, POPULATION_KEY)), before, 'previous population.json kept')
  }
  t.equal((await content(store, 'bls/pr/pr.txt')).toString(), sampleFiles()['pr.txt'])
})

t.test('both population shapes are stored canonically', async (t) => {
  const {upstream, root, options} = await setup(t)
  upstream.population.shape = 'legacy'
  const legacy = await fetchUpstream(options)
  t.match(legacy.files.find((f) => f.key === POPULATION_KEY), {action: 'add'})
  const stored = await readFile(path.join(root, POPULATION_KEY), 'utf8')
  t.equal(stored, canonicalJson(JSON.parse(stored)))
  t.match(JSON.parse(stored).data[0], {'ID Year': 2013, Year: '2013'})

  upstream.population.shape = 'current'
  const current = await fetchUpstream(options)
  t.match(current.files.find((f) => f.key === POPULATION_KEY), {action: 'replace', reason: 'content changed'})
  t.match(JSON.parse(await readFile(path.join(root, POPULATION_KEY), 'utf8')).data[0], {Year: 2013, 'Nation ID': '01000US'})
})

t.test('--dry-run plans without writing; --json prints only the summary', async (t) => {
  const {upstream, root} = await setup(t)
  const argv = ['--raw', root, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl]
  const dry = await runCommand(Fetch, [...argv, '--dry-run', '--json'])
  t.equal(dry.exitCode, 0)
  const summary = JSON.parse(dry.stdout)
  t.match(summary, {dryRun: true, added: 4, bytes: 0, requests: 2})
  t.same(await readdir(root), [], 'nothing written')

  const plain = await runCommand(Fetch, [...argv, '--dry-run'])
  t.match(plain.stdout, /would add\s+bls\/pr\/pr\.txt\s+new in the listing/)
  t.match(plain.stdout, /fetch plan \(dry run\)\nwould add +4\n/)
  t.match(plain.stderr, /✔ Fetch BLS pr and population into .* — would add 4, replace 0, delete 0; 0 unchanged/)

  const real = await runCommand(Fetch, argv)
  t.equal(real.exitCode, 0)
  t.match(real.stdout, /^fetch\s*$/m)
  t.match(real.stdout, /upstream requests\s+5/)
  const again = await runCommand(Fetch, [...argv, '--json'])
  t.match(JSON.parse(again.stdout), {unchanged: 4, requests: 2})
  t.equal(again.stderr, '', 'quiet with --json')
  t.ok(await stat(path.join(root, MANIFEST_NAME)))
})

t.test('the command shows warnings and retries as they happen', async (t) => {
  const {upstream, root} = await setup(t)
  upstream.extraLinks.push({href: '../escape'})
  upstream.failNext('file:pr.txt', {status: 503, headers: {'Retry-After': '0'}})
  const result = await runCommand(Fetch, ['--raw', root, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl])
  t.equal(result.exitCode, 0)
  t.match(result.stderr, /⚠ skipped listing link "\.\.\/escape": contains \.\./)
  t.match(result.stderr, /^ {2}retrying http:\/\/127\.0\.0\.1:\d+\/pub\/time\.series\/pr\/pr\.txt in 0\.0s \(503 Service Unavailable\)$/m, 'live, as run shows it')
  t.match(result.stdout, /upstream requests\s+6/)
})

t.test('a failing download in JSON mode still prints only JSON', async (t) => {
  const {upstream, root} = await setup(t)
  upstream.failNext('file:pr.txt', {status: 404})
  const result = await runCommand(Fetch, ['--raw', root, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl, '--json'])
  t.equal(result.exitCode, 1)
  t.match(JSON.parse(result.stdout), {error: {summary: {added: 3, failed: 1}}})
  const plain = await runCommand(Fetch, ['--raw', root, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl, '--force'])
  t.equal(plain.exitCode, 0)
  t.match(plain.stdout, /add\s+bls\/pr\/pr\.txt/)
})

t.test('fetch straight into S3, then an unchanged refetch', async (t) => {
  const emulator = await startEmulator(t)
  const bucket = await emulator.bucket()
  const {upstream, options} = await setup(t)
  const store = openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})
  const first = await fetchUpstream({...options, store})
  t.match(first, {added: 4, requests: 5})
  t.equal((await content(store, 'bls/pr/pr.txt')).toString(), sampleFiles()['pr.txt'])
  t.match((await store.stat('bls/pr/pr.txt'))?.metadata, {[SOURCE_META.size]: '24', [SOURCE_META.date]: '2024-06-06T08:30'})
  upstream.resetCounts()
  // A fresh store, as each Lambda invocation opens: all it knows is in the manifests.
  const from = emulator.requests.length
  const second = await fetchUpstream({...options, store: openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})})
  t.match(second, {unchanged: 4, bytes: 0, requests: 2})
  t.equal(upstream.requests.total, 2)
  const sent = emulator.requests.slice(from)
  t.same(sent.filter((r) => r.method !== 'GET'), [], 'no HEAD (the manifests vouch for every object, the population too) and no write')

  // Changed behind our back (same key, other bytes): LIST shows another ETag, so it is looked at and replaced.
  const original = await content(store, POPULATION_KEY)
  await emulator.s3.send(new PutObjectCommand({Bucket: bucket, Key: `raw/${POPULATION_KEY}`, Body: '{"data": []}\n'}))
  const repaired = await fetchUpstream({...options, store: openStore(`s3://${bucket}/raw/`, {endpoint: emulator.endpoint})})
  t.match(repaired, {replaced: 1, unchanged: 3})
  t.match(repaired.files.find((file) => file.key === POPULATION_KEY), {action: 'replace', reason: 'content changed'})
  t.same(await content(store, POPULATION_KEY), original, 'the canonical population is back')

  const cli = await runCommand(Fetch, ['--bucket', bucket, '--endpoint', emulator.endpoint, '--contact', CONTACT, '--bls-url', upstream.blsUrl, '--population-url', upstream.populationUrl, '--json'])
  t.match(JSON.parse(cli.stdout), {store: `s3://${bucket}/raw/`, unchanged: 4, requests: 2})
})


t.test('the real BLS snapshot, mirrored through the test server, byte for byte', async (t) => {
  const upstream = await startUpstream(t)
  const snapshot = await serveSnapshot(upstream)
  const root = await tempDir()
  const store = new FolderStore(root)
  const options = {store, contact: CONTACT, version: '9.9.9', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl}
  const first = await fetchUpstream(options)
  t.equal(first.added, snapshot.length + 1)
  t.equal(first.requests, snapshot.length + 2)
  for (const file of snapshot) t.ok((await readFile(path.join(root, 'bls/pr', file.name))).equals(file.body), `${file.name} identical`)
  t.same((await store.list('bls/pr/')).map((o) => o.key.slice(7)), snapshot.map((f) => f.name).sort())
  upstream.resetCounts()
  const second = await fetchUpstream(options)
  t.match(second, {unchanged: snapshot.length + 1, bytes: 0, requests: 2})
  t.equal(upstream.requests.total, 2)
})

t.test('planFetch and planPopulation decide without I/O', async (t) => {
  const entry = {name: 'a', url: 'http://x/a', size: 3, date: '2024-06-06T08:30'}
  const meta = {[SOURCE_META.size]: '3', [SOURCE_META.date]: '2024-06-06T08:30'}
  t.match(planFetch([entry], [{key: 'bls/pr/a', size: 3, metadata: {}}]).files, [{action: 'replace', reason: 'no source metadata stored'}])
  t.match(planFetch([entry], [{key: 'bls/pr/a', size: 4, metadata: meta}]).files, [{action: 'replace', reason: /stored copy has 4 bytes/}])
  t.match(planFetch([entry], [{key: 'bls/pr/a', size: 3, metadata: meta}]).files, [{action: 'unchanged'}])
  const stored = ['a', 'b', 'c'].map((name) => ({key: `bls/pr/${name}`, size: 3, metadata: meta}))
  t.notOk(planFetch([entry, {...entry, name: 'b'}], stored).refusal, 'deleting 1 of 3 is fine')
  t.match(planFetch([entry], stored).refusal, {reason: /would delete 2 of the 3/})
  t.notOk(planFetch([entry], stored, {force: true}).refusal)
  t.match(planFetch([], []).refusal, {reason: /yields no files/})
  t.match(planPopulation('x', {key: POPULATION_KEY, size: 1, md5: 'x', metadata: {}}), {action: 'unchanged'})
  t.match(planPopulation('x', undefined), {action: 'add'})
})

/** pr (the sample files) plus two small surveys, cu and ce, under the served root. */
function serveSurveys(upstream: UpstreamServer): void {
  serveFiles(upstream)
  upstream.setSurveyFile('cu', 'cu.series', 'series_id\tarea_code\r\nCUUR0000SA0\t0000\r\n')
  upstream.setSurveyFile('cu', 'cu.data.0.Current', 'series_id\tyear\tperiod\tvalue\r\nCUUR0000SA0\t2024\tM01\t308.417\r\n')
  upstream.setSurveyFile('ce', 'ce.txt', 'Current Employment Statistics\r\n')
  upstream.setSurveyFile('ce', 'ce.series', 'series_id\r\nCES0000000001\r\n')
  upstream.setSurveyFile('ce', 'ce.footnote', 'footnote_code\r\n')
}

/** Options for several surveys read from the root (no --bls-url). */
async function surveySetup(t: Test, surveys: FetchOptions['surveys']): Promise<Setup> {
  const {upstream, root, store, options} = await setup(t)
  serveSurveys(upstream)
  return {upstream, root, store, options: {...options, blsUrl: undefined, blsRoot: upstream.rootUrl, surveys}}
}

const keysUnder = async (store: Store, prefix: string): Promise<string[]> => (await store.list(prefix)).map((o) => o.key)

t.test('several surveys: each into bls/<survey>/, its own summary line; an unchanged refresh is one listing per survey plus the API', async (t) => {
  const {upstream, store, options} = await surveySetup(t, ['pr', 'cu', 'ce'])
  const events: FetchEvent[] = []
  const first = await fetchUpstream({...options, onProgress: (event) => events.push(event)})
  t.same(await keysUnder(store, 'bls/cu/'), ['bls/cu/cu.data.0.Current', 'bls/cu/cu.series'])
  t.same(await keysUnder(store, 'bls/ce/'), ['bls/ce/ce.footnote', 'bls/ce/ce.series', 'bls/ce/ce.txt'])
  t.equal((await content(store, 'bls/cu/cu.series')).toString(), upstream.surveys.get('cu')!.get('cu.series')!.body.toString())
  t.match(first, {added: 9, failed: 0, requests: 3 + 8 + 1}, 'eight files and the population')
  t.same(
    first.surveys.map(({survey, added, unchanged, failed}) => ({survey, added, unchanged, failed})),
    [
      {survey: 'pr', added: 3, unchanged: 0, failed: 0},
      {survey: 'cu', added: 2, unchanged: 0, failed: 0},
      {survey: 'ce', added: 3, unchanged: 0, failed: 0},
    ],
    'one line per survey, in the order asked; the population is not a survey',
  )
  t.equal(first.surveys.find((s) => s.survey === 'cu')!.bytes, [...upstream.surveys.get('cu')!.values()].reduce((n, f) => n + f.body.length, 0))
  t.same(events.filter((e) => e.type === 'survey').map((e) => e.type === 'survey' && e.survey.survey).sort(), ['ce', 'cu', 'pr'], 'a progress event as each survey is done')

  upstream.resetCounts()
  const again = await fetchUpstream(options)
  t.equal(upstream.requests.total, 4, 'three listings and the API')
  t.same(upstream.requests.listings, {pr: 1, cu: 1, ce: 1})
  t.match(again, {unchanged: 9, bytes: 0, requests: 4})
  t.notOk(again.surveys.some((s) => s.error), 'no survey failed')
})

t.test('all: every survey folder the root lists; odd root links are skipped with a warning', async (t) => {
  const {upstream, store, options} = await surveySetup(t, 'all')
  upstream.rootLinks.push(
    {href: '../up/', folder: true},
    {href: 'http://evil.example/pub/time.series/xx/', folder: true},
    {href: '/pub/time.series/cu/sub/', folder: true},
    {href: '/pub/time.series/compressed/', text: 'compressed', folder: true},
    {href: '/pub/time.series/overview.txt', text: 'overview.txt'},
  )
  const summary = await fetchUpstream(options)
  t.same(summary.surveys.map((s) => s.survey), ['ce', 'cu', 'pr'])
  t.same((await store.list('bls/')).map((o) => o.key.split('/')[1]).filter((s, i, all) => all.indexOf(s) === i), ['ce', 'cu', 'pr'])
  t.equal(summary.warnings.length, 5)
  t.match(summary.warnings.join('\n'), /"\.\.\/up\/": contains \.\.[\s\S]*another host[\s\S]*not a folder directly under the root[\s\S]*is a file, not a folder[\s\S]*"compressed": not a survey code/)

  upstream.resetCounts()
  await fetchUpstream(options)
  t.same([upstream.requests.total, upstream.requests.root], [5, 1], 'the root, three listings and the API')

  t.same(await resolveSurveys({...options, surveys: 'all'}), {surveys: ['ce', 'cu', 'pr'], warnings: summary.warnings})
  t.same(await resolveSurveys({...options, surveys: ['cu']}), {surveys: ['cu'], warnings: []}, 'a list as given, no request')
  t.same(await resolveSurveys({contact: CONTACT, version: '1'}), {surveys: ['pr'], warnings: []}, 'pr by default')

  upstream.surveys.clear()
  upstream.rootLinks.length = 0
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.match(error.message, /the BLS root http:\/\/127\.0\.0\.1:\d+\/pub\/time\.series\/ lists no survey folders/)
  t.same(error.summary.surveys, [])
  t.equal((await store.list('bls/')).length, 8, 'nothing deleted')
})

t.test('one survey failing does not stop the others; each survey has its own deletion guard', async (t) => {
  const {upstream, root, store, options} = await surveySetup(t, ['pr', 'cu', 'ce'])
  await fetchUpstream(options)
  upstream.failNext('listing:cu', {status: 404})
  upstream.surveys.get('ce')!.delete('ce.txt')
  upstream.surveys.get('ce')!.delete('ce.series')
  upstream.setFile('pr.class', 'class_code\r\n')
  const error = (await fetchUpstream(options).catch((caught: unknown) => caught)) as FetchError
  t.type(error, FetchError)
  t.match(error.message, /\/pub\/time\.series\/cu\/.*404/)
  t.match(error.message, /survey ce: the BLS listing would delete 2 of the 3 stored files.*nothing was changed/)
  t.ok(error.causes.some((cause) => cause instanceof GuardError))
  t.match(error.summary.surveys, [
    {survey: 'pr', added: 1, unchanged: 3, failed: 0, error: undefined},
    {survey: 'cu', added: 0, unchanged: 0, error: /404/},
    {survey: 'ce', deleted: 0, unchanged: 0, error: /would delete 2 of the 3/},
  ])
  t.equal((await content(store, 'bls/pr/pr.class')).toString(), 'class_code\r\n', 'pr went ahead')
  t.same(await keysUnder(store, 'bls/ce/'), ['bls/ce/ce.footnote', 'bls/ce/ce.series', 'bls/ce/ce.txt'], 'ce kept everything')
  t.equal((await keysUnder(store, 'bls/cu/')).length, 2, 'cu kept everything')

  upstream.failNext('listing:cu', {status: 404})
  const argv = ['--raw', root, '--contact', CONTACT, '--bls-root', upstream.rootUrl, '--population-url', upstream.populationUrl, '--survey', 'pr,cu,ce']
  const result = await runCommand(Fetch, argv)
  t.equal(result.exitCode, 1, 'the exit code says something failed')
  t.match(result.stderr, /^ {2}pr: 0 added, 0 replaced, 0 deleted, 4 unchanged$/m, 'a progress line per survey')
  t.match(result.stderr, /^ {2}cu: FAILED — 0 added.*404/m)
  t.match(result.stdout, /^survey\s+added\s+replaced\s+deleted\s+unchanged\s+failed\s+bytes written\s+error$/m, 'a summary table per survey')
  t.match(result.stdout, /^ce\s+0\s+0\s+0\s+0\s+0\s+0 B\s+survey ce: the BLS listing would delete/m)

  const forced = await runCommand(Fetch, [...argv, '--force', '--json'])
  t.equal(forced.exitCode, 0, forced.stderr)
  t.match(JSON.parse(forced.stdout).surveys, [{survey: 'pr'}, {survey: 'cu', replaced: 2}, {survey: 'ce', deleted: 2, replaced: 1}], '--force also downloads every file again')
})

t.test('--bls-url still names the pr directory and wins over --bls-root for pr', async (t) => {
  const {upstream, store, options} = await surveySetup(t, ['pr', 'cu'])
  const other = await startUpstream(t)
  other.setFile('pr.elsewhere', 'from the --bls-url server\r\n')
  const summary = await fetchUpstream({...options, blsUrl: other.blsUrl})
  t.same(await keysUnder(store, 'bls/pr/'), ['bls/pr/pr.elsewhere'])
  t.equal((await keysUnder(store, 'bls/cu/')).length, 2, 'cu from the root')
  t.same([other.requests.listing, upstream.requests.listing, upstream.requests.listings.cu], [1, 0, 1])
  t.match(summary.surveys, [{survey: 'pr', added: 1}, {survey: 'cu', added: 2}])
})

t.test('the population alone, or the surveys without it', async (t) => {
  const {upstream, store, options} = await surveySetup(t, ['cu'])
  const surveysOnly = await fetchUpstream({...options, population: false})
  t.equal(upstream.requests.population, 0)
  t.same((await store.list()).map((o) => o.key), ['bls/cu/cu.data.0.Current', 'bls/cu/cu.series'])
  t.match(surveysOnly, {added: 2, surveys: [{survey: 'cu', added: 2}]})
  const populationOnly = await fetchUpstream({...options, surveys: []})
  t.match(populationOnly, {added: 1, surveys: [], files: [{key: POPULATION_KEY, action: 'add'}]})
  t.same(upstream.requests.listings, {cu: 1}, 'no listing asked for')
})

t.test('--survey and DATAQUEST_SURVEY: codes checked, all expanded, pr by default', async (t) => {
  const {upstream, root} = await surveySetup(t, undefined)
  const argv = ['--raw', root, '--contact', CONTACT, '--bls-root', upstream.rootUrl, '--population-url', upstream.populationUrl]
  for (const bad of ['pr,c1', '../x', 'pr,', 'all,pr']) {
    const result = await runCommand(Fetch, [...argv, '--survey', bad])
    t.not(result.exitCode, 0, `${bad}: refused`)
    t.match(result.stderr, /--survey[\s\S]*is not a BLS survey code: give two letters, like pr, cu or ce \(comma-separated\), or all/, bad)
  }
  t.equal(upstream.requests.total, 0, 'refused before any request')
  const env = await runCommand(Fetch, [...argv, '--json'], {DATAQUEST_SURVEY: ' CU , ce,cu'})
  t.equal(env.exitCode, 0, env.stderr)
  t.same(JSON.parse(env.stdout).surveys.map((s: {survey: string}) => s.survey), ['cu', 'ce'], 'trimmed, lower-cased, once each')
  const all = await runCommand(Fetch, [...argv, '--survey', 'all', '--json'], {DATAQUEST_SURVEY: 'cu'})
  t.same(JSON.parse(all.stdout).surveys.map((s: {survey: string}) => s.survey), ['ce', 'cu', 'pr'], 'the flag wins over the environment')
  const plain = await runCommand(Fetch, argv, {DATAQUEST_SURVEY: undefined})
  t.match(plain.stderr, /Fetch BLS pr and population into/)
  t.notMatch(plain.stdout, /^survey\s+added/m, 'no survey table for a single survey')
})
