import {Readable} from 'node:stream'

import {type HttpClient, type HttpResponse, UpstreamError} from '../http/client.js'
import {type MirrorFile, resultOf} from '../mirror/apply.js'
import {blsGet, type ListingEntry} from '../sources/bls.js'
import type {Store} from '../stores/store.js'
import {BLS_CONTENT_TYPE} from '../stores/raw-layout.js'
import {FORCED, type PlannedFetch, SOURCE_META} from './plan.js'

export interface DownloadContext {
  store: Store
  client: HttpClient
  /** Called as a download's bytes arrive: bytes so far of `total` (the listing's size). */
  onBytes: (progress: DownloadProgress) => void
}

export interface DownloadProgress {
  key: string
  bytes: number
  total: number
}

/** The body as it flows, reporting the bytes read so far (a long download's progress). */
function counted(body: Readable, report: (bytes: number) => void): Readable {
  let bytes = 0
  return Readable.from(
    (async function* () {
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length
        report(bytes)
        yield chunk as Buffer
      }
    })(),
    {objectMode: false},
  )
}

function sourceMetadata(entry: ListingEntry, response: HttpResponse, stored: Record<string, string> = {}): Record<string, string> {
  const metadata: Record<string, string> = {[SOURCE_META.size]: String(entry.size), [SOURCE_META.date]: entry.date}
  const lastModified = response.headers.get('last-modified') ?? stored[SOURCE_META.lastModified]
  const etag = response.headers.get('etag') ?? stored[SOURCE_META.etag]
  if (lastModified) metadata[SOURCE_META.lastModified] = lastModified
  if (etag) metadata[SOURCE_META.etag] = etag
  return metadata
}

/** If-Modified-Since / If-None-Match from what the store remembers of the upstream copy. */
function conditionalHeaders(file: PlannedFetch): Record<string, string> {
  // Only worth asking when the size still matches: a new size means new content, whatever the date says.
  if (file.action !== 'replace' || file.reason === FORCED || file.target!.size !== file.source!.size) return {}
  const {[SOURCE_META.lastModified]: since, [SOURCE_META.etag]: etag} = file.target!.metadata
  const headers: Record<string, string> = {}
  if (since) headers['if-modified-since'] = since
  if (etag) headers['if-none-match'] = etag
  return headers
}

/** fetch's transfer: stream a listed file into the store (or, on a 304, refresh the stored copy's metadata). */
export async function download(file: PlannedFetch, {store, client, onBytes}: DownloadContext): Promise<MirrorFile> {
  const entry = file.source!
  // identity: the bytes on the wire are the file's bytes, so Content-Length and the listing size apply.
  const conditional = conditionalHeaders(file)
  const headers = {'accept-encoding': 'identity', ...conditional}
  return blsGet(client, entry.url, headers, async (response) => {
    if (response.status === 304 && Object.keys(conditional).length === 0) {
      throw new UpstreamError(entry.url, 'answered 304 Not Modified to a request that asked for no comparison (a misbehaving server or proxy); nothing stored, fetch again later', false)
    }
    if (response.status === 304) {
      // Upstream confirms our copy; rewrite it from the store with fresh metadata so the next listing matches.
      const metadata = sourceMetadata(entry, response, file.target!.metadata)
      await store.write(file.key, await store.read(file.key), {expectedSize: entry.size, metadata, contentType: BLS_CONTENT_TYPE})
      return resultOf(file, {action: 'unchanged', reason: `${file.reason}; not modified (304), metadata refreshed`})
    }
    const declared = response.headers.get('content-length')
    if (declared !== null && Number(declared) !== entry.size) {
      throw new Error(`the server announced ${declared} bytes but the listing says ${entry.size} (changed during the fetch? try again)`)
    }
    const body = counted(response.stream(), (bytes) => onBytes({key: file.key, bytes, total: entry.size}))
    const written = await store.write(file.key, body, {expectedSize: entry.size, metadata: sourceMetadata(entry, response), contentType: BLS_CONTENT_TYPE})
    return resultOf(file, {bytes: written.size})
  })
}
