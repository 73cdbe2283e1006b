import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import type {Test} from 'tap'

import {projectRoot} from './cli.js'

/**
 * A stand-in for download.bls.gov and the DataUSA API: a real node:http server on 127.0.0.1.
 *
 *   const upstream = await startUpstream(t)            // closed at the end of test t
 *   upstream.setFile('pr.series', 'a\tb\r\n')          // serve a file (listed, with Last-Modified)
 *   await fetchUpstream({store, contact: 'me@example.com', blsUrl: upstream.blsUrl, populationUrl: upstream.populationUrl})
 *   upstream.requests.total                            // how many requests arrived
 *
 * BLS side (`blsUrl` = `<url>/pub/time.series/pr/`): an IIS-style listing (parent link first, then
 * `date time size <A HREF="/pub/time.series/pr/name">name</A>`), files with Last-Modified, ETag and
 * Content-Length, 304 for If-Modified-Since / If-None-Match, and 403 when the User-Agent carries no
 * contact (`(+...)`). Other surveys (`setSurveyFile('cu', …)`) are served the same way under
 * `<rootUrl>cu/`, and the root (`rootUrl` = `<url>/pub/time.series/`) lists every survey folder
 * (`date time <dir> <A HREF="/pub/time.series/cu/">cu</A>`). DataUSA side (`populationUrl`): the current API shape by default; the
 * `annotations` keys come in a different order on every call, as the real API does.
 */

export interface UpstreamFile {
  body: Buffer
  lastModified: Date
  /** What the listing claims instead of the truth (a stale or lying listing). */
  listed?: {size?: number; date?: Date}
}

/** A canned answer served instead of the normal one (see `failNext`). */
export interface CannedResponse {
  status: number
  body?: string
  headers?: Record<string, string>
  /** The reason phrase as raw bytes on the wire (node:http refuses control characters in its own). */
  rawReason?: string
}

/** How a file's body goes wrong on its next `times` requests (see `interrupt`). */
export interface BodyInterruption {
  /** Bytes sent before the fault. */
  afterBytes: number
  /** `drop`: cut the connection; `stall`: send nothing more until the client gives up. */
  mode: 'drop' | 'stall'
  times: number
}

/** One line of the listing that points somewhere unusual (see `extraLinks`). */
export interface ListingLink {
  href: string
  text?: string
  size?: number
  date?: Date
}

/**
 * Where a request went: `listing` (pr's), `population`, a file name under pr's listing, `root`,
 * another survey's `listing:cu` or file `file:cu/name`, or `other`.
 */
export type Target = 'listing' | 'population' | 'other' | 'root' | `listing:${string}` | `file:${string}`

export interface RequestRecord {
  method: string
  path: string
  target: Target
  status: number
  userAgent: string
  headers: IncomingMessage['headers']
}

export interface RequestCounts {
  total: number
  /** pr's listing. */
  listing: number
  /** The time.series root listing. */
  root: number
  /** Listing requests per survey (pr included). */
  listings: Record<string, number>
  population: number
  /** Requests per file name, `cu/name` for other surveys (every status, 304 included). */
  files: Record<string, number>
  /** Responses with status 304. */
  notModified: number
  /** Most requests handled at the same time (see `latencyMs`). */
  maxInFlight: number
}

export interface PopulationRow {
  year: number
  population: number
}

export interface UpstreamServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** The BLS-style directory: `<url>/pub/time.series/pr/` */
  blsUrl: string
  /** The BLS-style time-series root: `<url>/pub/time.series/` */
  rootUrl: string
  /** The population endpoint: `<url>/tesseract/data.jsonrecords?...` */
  populationUrl: string
  /** The served files by name; edit freely (or use setFile/removeFile). */
  files: Map<string, UpstreamFile>
  setFile(name: string, body: string | Buffer, lastModified?: Date): void
  removeFile(name: string): void
  /** Serve a file of survey `survey` (its folder is then listed at the root). */
  setSurveyFile(survey: string, name: string, body: string | Buffer, lastModified?: Date): void
  /** The files of every survey folder, by survey (`pr` is `files`); delete a survey to unlist it. */
  surveys: Map<string, Map<string, UpstreamFile>>
  /** Extra root listing lines (odd folders and links), appended after the survey folders. */
  rootLinks: (ListingLink & {folder?: boolean})[]
  /** Extra listing lines (hostile or odd links), appended after the real files. */
  extraLinks: ListingLink[]
  /** Population data served by the API. */
  population: {shape: 'current' | 'legacy'; rows: PopulationRow[]; /** served as is, when set */ rawBody?: string; contentType?: string}
  /** Answer the next `count` requests for `target` with `response` (a 500, a 429 with Retry-After…). */
  failNext(target: Target, response: CannedResponse, count?: number): void
  /**
   * Truncate file `name`: send only the first half of the body, then either cut the connection
   * (`declaredLength`: Content-Length announced the full size) or end cleanly without a length.
   * Applies to every request until `truncate.delete(name)`.
   */
  truncate: Map<string, {declaredLength: boolean}>
  /** Interrupt file `name`'s body on its next requests (a dropped or stalled connection). */
  interrupt: Map<string, BodyInterruption>
  /** When true, `Range: bytes=N-` is honoured with a 206 (subject to If-Range), as IIS does. */
  ranges: boolean
  /** Answer a request for this path (and query) with a 302 to the given Location. */
  redirects: Map<string, string>
  /** When false, no 304s: conditional headers are ignored. */
  conditional: boolean
  /** When false, any User-Agent is accepted. */
  requireContact: boolean
  /** When false, files come without Last-Modified and ETag (and no 304 is possible). */
  validators: boolean
  /** Wait this long before answering each request (timeouts, concurrency). */
  latencyMs: number
  /** Per-target counters since start or the last resetCounts(). */
  requests: RequestCounts
  /** Every request since start or the last resetCounts(). */
  log: RequestRecord[]
  resetCounts(): void
  /** Cut every open connection (a stalled body's too); the server goes on answering. */
  dropConnections(): void
  close(): Promise<void>
}

export const ROOT_PATH = '/pub/time.series/'
export const LISTING_PATH = `${ROOT_PATH}pr/`
export const POPULATION_PATH = '/tesseract/data.jsonrecords'
const POPULATION_QUERY = '?cube=acs_yg_total_population_1&drilldowns=Year%2CNation&locale=en&measures=Population'
const CONTACT = /\(\+[^()\s]+\)/

/** Default population rows: the real ACS 1-year values 2013–2019 (no 2020, as in the real data). */
export const POPULATION_ROWS: readonly PopulationRow[] = [
  {year: 2013, population: 316128839},
  {year: 2014, population: 318857056},
  {year: 2015, population: 321418821},
  {year: 2016, population: 323127515},
  {year: 2017, population: 325719178},
  {year: 2018, population: 327167439},
  {year: 2019, population: 328239523},
]

const ANNOTATIONS: [string, string][] = [
  ['source_name', 'Census Bureau'],
  ['dataset_name', 'ACS 1-year Estimate'],
  ['table_id', 'B01003'],
  ['topic', 'Diversity'],
  ['subtopic', 'Demographics'],
]

/** The body the population endpoint serves on its `call`-th call (the annotations order rotates). */
export function populationBody(shape: 'current' | 'legacy', rows: readonly PopulationRow[], call = 0): string {
  if (shape === 'legacy') {
    return JSON.stringify({
      data: rows.map((r) => ({'ID Nation': '01000US', Nation: 'United States', 'ID Year': r.year, Year: String(r.year), Population: r.population, 'Slug Nation': 'united-states'})),
      source: [{measures: ['Population'], name: 'acs_yg_total_population_1', substitutions: []}],
    })
  }
  const shift = call % ANNOTATIONS.length
  const annotations = Object.fromEntries([...ANNOTATIONS.slice(shift), ...ANNOTATIONS.slice(0, shift)])
  return JSON.stringify({
    annotations,
    page: {limit: 0, offset: 0, total: rows.length},
    columns: ['Nation ID', 'Nation', 'Year', 'Population'],
    data: rows.map((r) => ({'Nation ID': '01000US', Nation: 'United States', Year: r.year, Population: r.population})),
  })
}

/** `6/6/2024  8:30 AM` as IIS prints it (UTC here). */
function iisDate(date: Date): string {
  const hours = date.getUTCHours() % 12 || 12
  const day = `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()}`
  const time = `${String(hours).padStart(2)}:${String(date.getUTCMinutes()).padStart(2, '0')} ${date.getUTCHours() < 12 ? 'AM' : 'PM'}`
  return `${day.padStart(10)} ${time}`
}

const listingLine = (href: string, text: string, size: number | '&lt;dir&gt;', date: Date): string =>
  `${iisDate(date)} ${String(size).padStart(12)} <A HREF="${href}">${text}</A><br>`

const LISTED_DATE = new Date(Date.UTC(2024, 5, 6, 8, 30))

/** An IIS listing page of `path` with these lines after the parent link. */
const listingPage = (path: string, lines: readonly string[]): string =>
  `<html><head><title>127.0.0.1 - ${path}</title></head><body><H1>127.0.0.1 - ${path}</H1><hr>\r\n\r\n` +
  `<pre><A HREF="${path.replace(/[^/]+\/$/, '')}">[To Parent Directory]</A><br><br>${lines.join('')}</pre><hr></body></html>`

const etagOf = (file: UpstreamFile): string => `"${createHash('md5').update(file.body).digest('hex')}"`

/** HTTP dates have second precision: compare at that precision. */
const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)

/** Start the server on 127.0.0.1, port 0; with `t`, it closes when the test ends. */
export async function startUpstream(t?: Test): Promise<UpstreamServer> {
  const canned = new Map<Target, {response: CannedResponse; count: number}[]>()
  let populationCalls = 0
  const freshCounts = (): RequestCounts => ({total: 0, listing: 0, root: 0, listings: {}, population: 0, files: {}, notModified: 0, maxInFlight: 0})
  let inFlight = 0

  // pr keeps its historical names (`listing`, `file:name`); other surveys carry theirs.
  const targetOf = (pathname: string): Target => {
    if (pathname === ROOT_PATH) return 'root'
    if (pathname === POPULATION_PATH) return 'population'
    const [, survey, name] = /^\/pub\/time\.series\/([^/]+)\/(.*)$/.exec(pathname) ?? []
    const files = survey === undefined ? undefined : server.surveys.get(survey)
    if (!files) return 'other'
    if (name === '') return survey === 'pr' ? 'listing' : `listing:${survey}`
    const file = decodeURIComponent(name!)
    if (!files.has(file)) return 'other'
    return survey === 'pr' ? `file:${file}` : `file:${survey}/${file}`
  }
  /** `file:cu/name` → ['cu', 'name']; `file:name` → ['pr', 'name']. */
  const fileOf = (id: string): [string, string] => (id.includes('/') ? (id.split('/', 2) as [string, string]) : ['pr', id])

  const takeCanned = (target: Target): CannedResponse | undefined => {
    const queue = canned.get(target)
    const head = queue?.[0]
    if (!head) return undefined
    if (--head.count <= 0) queue!.shift()
    return head.response
  }

  const listing = (survey: string): string => {
    const path = `${ROOT_PATH}${survey}/`
    const lines = [...server.surveys.get(survey)!.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, file]) => listingLine(`${path}${encodeURIComponent(name)}`, name, file.listed?.size ?? file.body.length, file.listed?.date ?? file.lastModified))
    for (const link of survey === 'pr' ? server.extraLinks : []) {
      lines.push(listingLine(link.href, link.text ?? link.href, link.size ?? 1, link.date ?? LISTED_DATE))
    }
    return listingPage(path, lines)
  }

  const rootListing = (): string => {
    const lines = [...server.surveys.keys()].sort().map((survey) => listingLine(`${ROOT_PATH}${survey}/`, survey, '&lt;dir&gt;', LISTED_DATE))
    for (const link of server.rootLinks) {
      lines.push(listingLine(link.href, link.text ?? link.href, link.folder ? '&lt;dir&gt;' : (link.size ?? 1), link.date ?? LISTED_DATE))
    }
    return listingPage(ROOT_PATH, lines)
  }

  const serveFile = (request: IncomingMessage, response: ServerResponse, id: string): number => {
    const [survey, name] = fileOf(id)
    const file = server.surveys.get(survey)!.get(name)!
    const etag = etagOf(file)
    const lastModified = file.lastModified.toUTCString()
    const since = request.headers['if-modified-since']
    const match = request.headers['if-none-match']
    const notModified =
      server.conditional &&
      server.validators &&
      (match !== undefined ? match === etag : since !== undefined && seconds(new Date(since)) >= seconds(file.lastModified))
    if (notModified) {
      response.writeHead(304, {'Last-Modified': lastModified, ETag: etag}).end()
      return 304
    }
    const truncation = server.truncate.get(id)
    const headers: Record<string, string | number> = {'Content-Type': 'text/plain', ...(server.validators ? {'Last-Modified': lastModified, ETag: etag} : {})}
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
    const ifRange = request.headers['if-range']
    if (server.ranges && range && (ifRange === undefined || ifRange === etag || ifRange === lastModified)) {
      const start = Number(range[1])
      const rest = file.body.subarray(start)
      response.writeHead(206, {...headers, 'Content-Length': rest.length, 'Content-Range': `bytes ${start}-${file.body.length - 1}/${file.body.length}`}).end(rest)
      return 206
    }
    const interruption = server.interrupt.get(name)
    if (interruption) {
      if (--interruption.times <= 0) server.interrupt.delete(name)
      response.writeHead(200, {...headers, 'Content-Length': file.body.length})
      // A stalled body stays open until the client gives up (or the server closes).
      response.write(file.body.subarray(0, interruption.afterBytes), () => {
        if (interruption.mode === 'drop') response.socket?.destroy()
      })
      return 200
    }
    if (!truncation) {
      response.writeHead(200, {...headers, 'Content-Length': file.body.length}).end(file.body)
      return 200
    }
    const half = file.body.subarray(0, Math.floor(file.body.length / 2))
    if (truncation.declaredLength) {
      response.writeHead(200, {...headers, 'Content-Length': file.body.length})
      response.write(half, () => response.socket?.destroy())
    } else {
      response.writeHead(200, headers).end(half)
    }
    return 200
  }

  const handle = (request: IncomingMessage, response: ServerResponse, target: Target): number => {
    const location = server.redirects.get(request.url ?? '')
    if (location !== undefined) {
      response.writeHead(302, {Location: location}).end()
      return 302
    }
    const cannedResponse = takeCanned(target)
    if (cannedResponse?.rawReason !== undefined) {
      const socket = response.socket!
      socket.end(`HTTP/1.1 ${cannedResponse.status} ${cannedResponse.rawReason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 'latin1')
      return cannedResponse.status
    }
    if (cannedResponse) {
      response.writeHead(cannedResponse.status, {'Content-Type': 'text/html', ...cannedResponse.headers}).end(cannedResponse.body ?? '')
      return cannedResponse.status
    }
    if (target === 'population') {
      const body = server.population.rawBody ?? populationBody(server.population.shape, server.population.rows, populationCalls++)
      response.writeHead(200, {'Content-Type': server.population.contentType ?? 'application/json'}).end(body)
      return 200
    }
    if (server.requireContact && !CONTACT.test(request.headers['user-agent'] ?? '')) {
      response.writeHead(403, {'Content-Type': 'text/html'}).end('<html><body><h1>Access Denied</h1></body></html>')
      return 403
    }
    if (target === 'root' || target.startsWith('listing')) {
      response.writeHead(200, {'Content-Type': 'text/html'}).end(target === 'root' ? rootListing() : listing(target.split(':')[1] ?? 'pr'))
      return 200
    }
    if (target === 'other') {
      response.writeHead(404, {'Content-Type': 'text/html'}).end('<html><body>404 Not Found</body></html>')
      return 404
    }
    return serveFile(request, response, target.slice('file:'.length))
  }

  const http = createServer(async (request, response) => {
    const counts = server.requests
    counts.maxInFlight = Math.max(counts.maxInFlight, ++inFlight)
    let waiting = true
    const leave = (): void => {
      if (waiting) inFlight--
      waiting = false
    }
    response.on('close', leave) // a client that gave up is no longer in flight
    if (server.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, server.latencyMs))
    leave()
    if (request.destroyed) return
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const target = targetOf(url.pathname)
    const status = handle(request, response, target)
    counts.total++
    if (target === 'listing') counts.listing++
    if (target === 'root') counts.root++
    else if (target.startsWith('listing')) {
      const survey = target.split(':')[1] ?? 'pr'
      counts.listings[survey] = (counts.listings[survey] ?? 0) + 1
    } else if (target === 'population') counts.population++
    else if (target !== 'other') counts.files[target.slice(5)] = (counts.files[target.slice(5)] ?? 0) + 1
    if (status === 304) counts.notModified++
    server.log.push({method: request.method ?? 'GET', path: url.pathname + url.search, target, status, userAgent: request.headers['user-agent'] ?? '', headers: request.headers})
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const files = new Map<string, UpstreamFile>()
  const server: UpstreamServer = {
    url: base,
    blsUrl: `${base}${LISTING_PATH}`,
    rootUrl: `${base}${ROOT_PATH}`,
    populationUrl: `${base}${POPULATION_PATH}${POPULATION_QUERY}`,
    files,
    setFile(name, body, lastModified) {
      server.setSurveyFile('pr', name, body, lastModified)
    },
    removeFile(name) {
      server.files.delete(name)
    },
    surveys: new Map([['pr', files]]),
    setSurveyFile(survey, name, body, lastModified = LISTED_DATE) {
      if (!server.surveys.has(survey)) server.surveys.set(survey, new Map())
      server.surveys.get(survey)!.set(name, {body: Buffer.isBuffer(body) ? body : Buffer.from(body), lastModified})
    },
    rootLinks: [],
    extraLinks: [],
    population: {shape: 'current', rows: [...POPULATION_ROWS]},
    failNext(target, response, count = 1) {
      canned.set(target, [...(canned.get(target) ?? []), {response, count}])
    },
    truncate: new Map(),
    interrupt: new Map(),
    ranges: false,
    redirects: new Map(),
    conditional: true,
    requireContact: true,
    latencyMs: 0,
    validators: true,
    requests: freshCounts(),
    log: [],
    resetCounts() {
      server.requests = freshCounts()
      server.log = []
    },
    dropConnections: () => http.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections()
        http.close((error) => (error ? reject(error) : resolve()))
      }),
  }
  t?.teardown(() => server.close())
  return server
}

/** Small BLS-like files: tab-separated, space-padded, CRLF, like the real ones. */
export function sampleFiles(): Record<string, string> {
  const header = 'series_id        \tyear\tperiod\t       value\tfootnote_codes\r\n'
  return {
    'pr.data.0.Current': `${header}PRS30006011     \t2019\tQ01\t       1.5\t\r\nPRS30006011     \t2019\tQ02\t       2.25\t\r\n`,
    'pr.series': 'series_id\tsector_code\r\nPRS30006011\t3000\r\n',
    'pr.txt': 'Productivity and Costs\r\n',
  }
}

/** Serve `sampleFiles()` (or the given files), all dated 6/6/2024 8:30 AM. */
export function serveFiles(server: UpstreamServer, files: Record<string, string | Buffer> = sampleFiles()): void {
  for (const [name, body] of Object.entries(files)) server.setFile(name, body)
}

/** The real BLS `pr` snapshot and DataUSA responses vendored in fixtures/ (fixtures/README.md). */
export const FIXTURES = path.resolve(projectRoot, 'fixtures')
const SNAPSHOT = path.join(FIXTURES, 'bls-pr-2024-06-06')

export interface SnapshotFile {
  name: string
  body: Buffer
  /** Publication date from the snapshot's listing (minute precision, taken as UTC here). */
  lastModified: Date
}

/** Read the real snapshot (files + dates from files.tsv). */
export async function loadSnapshot(): Promise<SnapshotFile[]> {
  const rows = (await readFile(path.join(SNAPSHOT, 'files.tsv'), 'utf8')).trim().split('\n').slice(1)
  return Promise.all(
    rows.map(async (row) => {
      const [name, listed] = row.split('\t') as [string, string]
      const [, month, day, year, hour, minute, half] = /^(\d+)\/(\d+)\/(\d+) (\d+):(\d+) ([AP])M$/.exec(listed)!
      const hours = (Number(hour) % 12) + (half === 'P' ? 12 : 0)
      const lastModified = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), hours, Number(minute)))
      return {name, body: await readFile(path.join(SNAPSHOT, 'files', name)), lastModified}
    }),
  )
}

/** Serve the real snapshot; returns its files. */
export async function serveSnapshot(server: UpstreamServer): Promise<SnapshotFile[]> {
  const snapshot = await loadSnapshot()
  for (const file of snapshot) server.setFile(file.name, file.body, file.lastModified)
  return snapshot
}
