import {Readable} from 'node:stream'

import {describeError, MAX_CONCURRENT_REQUESTS, type HttpClient, type HttpResponse} from '../http/client.js'
import {blsGet, type ListingEntry} from '../sources/bls.js'
import {BLS_CONTENT_TYPE} from '../stores/raw-layout.js'
import {type Store, StoreStateError} from '../stores/store.js'
import {mapLimit} from '../util/concurrency.js'
import {type FetchAction, type FetchPlan, FORCED, type PlannedFile, SOURCE_META} from './plan.js'

/** What happened to one file. */
export interface FileResult {
  key: string
  action: FetchAction
  reason: string
  /** Bytes written to the store. */
  bytes?: number
  /** Set when the action failed; the previous copy was kept. */
  error?: string
}

export interface ApplyContext {
  store: Store
  client: HttpClient
  /** Called as each file is done (or has failed). */
  onFile?: (result: FileResult) => void
  /** Called as a download's bytes arrive: bytes so far of `total` (the listing's size). */
  onBytes?: (progress: DownloadProgress) => void
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

export const resultOf = ({key, action, reason}: PlannedFile, extra: Partial<FileResult> = {}): FileResult => ({key, action, reason, ...extra})

function sourceMetadata(entry: ListingEntry, response: HttpResponse, stored: Record<string, string> = {}): Record<string, string> {
  const metadata: Record<string, string> = {[SOURCE_META.size]: String(entry.size), [SOURCE_META.date]: entry.date}
  const lastModified = response.headers.get('last-modified') ?? stored[SOURCE_META.lastModified]
  const etag = response.headers.get('etag') ?? stored[SOURCE_META.etag]
  if (lastModified) metadata[SOURCE_META.lastModified] = lastModified
  if (etag) metadata[SOURCE_META.etag] = etag
  return metadata
}

/** If-Modified-Since / If-None-Match from what the store remembers of the upstream copy. */
function conditionalHeaders(file: PlannedFile): Record<string, string> {
  // Only worth asking when the size still matches: a new size means new content, whatever the date says.
  if (file.action !== 'replace' || file.reason === FORCED || file.stored!.size !== file.entry!.size) return {}
  const {[SOURCE_META.lastModified]: since, [SOURCE_META.etag]: etag} = file.stored!.metadata
  const headers: Record<string, string> = {}
  if (since) headers['if-modified-since'] = since
  if (etag) headers['if-none-match'] = etag
  return headers
}

async function download(file: PlannedFile, {store, client, onBytes = () => {}}: ApplyContext): Promise<FileResult> {
  const entry = file.entry!
  // identity: the bytes on the wire are the file's bytes, so Content-Length and the listing size apply.
  const headers = {'accept-encoding': 'identity', ...conditionalHeaders(file)}
  return blsGet(client, entry.url, headers, async (response) => {
    if (response.status === 304) {
      // Upstream confirms our copy; rewrite it from the store with fresh metadata so the next listing matches.
      const metadata = sourceMetadata(entry, response, file.stored!.metadata)
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

async function applyOne(file: PlannedFile, context: ApplyContext): Promise<FileResult> {
  try {
    if (file.action === 'unchanged') return resultOf(file)
    if (file.action === 'delete') {
      await context.store.delete(file.key)
      return resultOf(file)
    }
    return await download(file, context)
  } catch (error) {
    const message = error instanceof StoreStateError ? error.message : `${file.key}: ${describeError(error)}; the previous copy was kept`
    return resultOf(file, {error: message})
  }
}

/** Carry out a plan: downloads stream into the store, a failed file keeps its previous copy. */
export async function applyFetch(plan: FetchPlan, context: ApplyContext): Promise<FileResult[]> {
  return mapLimit(plan.files, MAX_CONCURRENT_REQUESTS, async (file) => {
    const result = await applyOne(file, context)
    context.onFile?.(result)
    return result
  })
}
