import {Readable} from 'node:stream'
import {text} from 'node:stream/consumers'
import {setTimeout as sleep} from 'node:timers/promises'

import {Limiter} from '../util/concurrency.js'
import {DataquestError} from '../util/errors.js'
import {sanitize} from '../util/sanitize.js'

/** BLS blocks robots it finds excessive: never more than this many upstream requests at once. */
export const MAX_CONCURRENT_REQUESTS = 4

/** The client's defaults (`fetch --help` and docs/usage.md state them). */
export const HTTP_DEFAULTS = {headersTimeoutMs: 30_000, idleTimeoutMs: 60_000, retries: 4, backoffMs: 1000, maxDelayMs: 30_000, maxRedirects: 5} as const

export interface HttpClientOptions {
  /** Sent with every request. */
  userAgent: string
  /** Per attempt: connecting and receiving the response headers. */
  headersTimeoutMs?: number
  /** The longest wait for the next body chunk; a body that keeps flowing has no time limit. */
  idleTimeoutMs?: number
  /** Further attempts after a network error, a timeout, a failed body, 429 or 5xx: one budget per request. */
  retries?: number
  /** First backoff delay; doubles per attempt, with jitter. */
  backoffMs?: number
  /** Cap for any single wait, Retry-After included. */
  maxDelayMs?: number
  /** Redirects followed per request, on the same origin only. */
  maxRedirects?: number
  /** Shared between clients that must respect one limit together. */
  limiter?: Limiter
  /** Ends in-flight requests and backoff waits at once; nothing is retried after it fires. */
  signal?: AbortSignal
  onRetry?: (event: RetryEvent) => void
}

export interface RetryEvent {
  url: string
  /** The attempt that failed, from 1. */
  attempt: number
  delayMs: number
  reason: string
}

/** Statuses that can change on their own: timeouts, throttling, server errors. Any other 4xx will not. */
const RETRYABLE = (status: number): boolean => status === 408 || status === 429 || status >= 500
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** A request that failed; the message names the URL and the cause, cleaned of control characters. */
export class UpstreamError extends DataquestError {
  /** Sanitised too: it ends up in progress lines. */
  readonly reason: string

  constructor(readonly url: string, reason: string, readonly retryable: boolean, options?: ErrorOptions) {
    super('upstream', sanitize(`${url}: ${reason}`), options)
    this.name = 'UpstreamError'
    this.reason = sanitize(reason)
  }
}

/** A non-retryable status, or a retryable one that outlasted every attempt. */
export class HttpStatusError extends UpstreamError {
  constructor(url: string, readonly status: number, statusText: string) {
    super(url, `${status} ${statusText}`.trim(), RETRYABLE(status))
    this.name = 'HttpStatusError'
    this.message = sanitize(`${url} answered ${this.reason}`)
  }
}

/** A body read whole (`text`) that is larger than its cap: refused, never retried. */
export class BodyTooLargeError extends UpstreamError {
  constructor(url: string, readonly maxBytes: number, what: string) {
    super(url, `the ${what} is larger than ${maxBytes / 1024 / 1024} MB, the most dataquest reads of it (see docs/limits.md): not what was expected; nothing stored`, false)
    this.name = 'BodyTooLargeError'
  }
}

/** The most of a body `text` holds, and what the body is (for the message). */
export interface TextCap {
  maxBytes: number
  what: string
}

/** A response whose body is read at most once, through the client (so bytes are counted). */
export interface HttpResponse {
  status: number
  headers: Headers
  /** The body as a Node stream; bytes are counted as they flow. */
  stream(): Readable
  /** The body as text; with a cap, a larger body is refused as it streams (at most one chunk past the cap is held). */
  text(cap?: TextCap): Promise<string>
}

/** The body as UTF-8 text (as stream/consumers' text decodes it), refused once it outgrows the cap. */
async function cappedText(url: string, headers: Headers, body: Readable, {maxBytes, what}: TextCap): Promise<string> {
  const tooLarge = (): BodyTooLargeError => {
    body.destroy()
    return new BodyTooLargeError(url, maxBytes, what)
  }
  if (Number(headers.get('content-length') ?? 0) > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of body) {
    bytes += (chunk as Buffer).length
    if (bytes > maxBytes) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  return new TextDecoder().decode(Buffer.concat(chunks, bytes))
}

type Outcome<T> = {done: true; value: T} | {done: false; error: UpstreamError; retryAfter?: string | null}

/** One attempt of a `get`: what a resumed body needs, and why its body failed. */
interface Exchange {
  url: string
  headers: Record<string, string>
  controller: AbortController
  /** Failures so far in this `get`, shared by every attempt and resume. */
  tries: {failed: number}
  bodyFailure?: UpstreamError
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Exponential backoff with jitter: somewhere in [½, 1] × base × 2^(attempt-1), capped. */
export const backoffDelay = (attempt: number, baseMs: number, maxMs: number, random = Math.random): number =>
  Math.min(maxMs, baseMs * 2 ** (attempt - 1)) * (0.5 + random() / 2)

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))}s`

interface NetworkCause {
  code?: string
  message?: string
  address?: string
  port?: number
  hostname?: string
}

/**
 * What went wrong in a network error, in words: fetch's own message is only `fetch failed`, undici
 * keeps the reason in `cause` (connection refused, DNS, TLS, a closed connection).
 */
export function networkReason(error: unknown): string {
  const {message = String(error), cause} = error as {message?: string; cause?: NetworkCause}
  const {code = '', address, port, hostname} = cause ?? {}
  const detail = cause?.message ?? message
  if (code === 'ECONNREFUSED') return address ? `connection refused (${address}:${port})` : 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup of ${hostname} failed (${code === 'ENOTFOUND' ? 'no such host' : 'try again later'})`
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the server closed the connection'
  if (/CERT|SSL|TLS|SELF_SIGNED/.test(code)) return `TLS: ${detail}`
  return detail === message ? message : `${message}: ${detail}`
}

/**
 * Network errors that another attempt cannot change: a URL fetch cannot parse, a port it refuses
 * to use (`bad port`: 6000, 6666…), a host that does not exist. A refused connection is retried:
 * a server restarting refuses for a few seconds.
 */
function isPermanent(error: unknown): boolean {
  const {cause} = error as {cause?: NetworkCause}
  if (cause === undefined) return error instanceof TypeError
  return cause.message === 'bad port' || cause.code === 'ENOTFOUND' || cause.code === 'ERR_INVALID_URL'
}

/** fetch hides the useful part of a network error in `cause`: the reason, URL first where known. */
export const describeError = (error: unknown): string => (error instanceof Error && !(error instanceof UpstreamError) ? networkReason(error) : (error as Error).message)

/** Where a 206 answer starts (`Content-Range: bytes 100-199/200`), or undefined. */
const rangeStart = (response: Response): number | undefined => {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')
  return match ? Number(match[1]) : undefined
}

/** The validator that makes a Range request safe (If-Range): a strong ETag, else Last-Modified. */
const validatorOf = (headers: Headers): string | undefined => {
  const etag = headers.get('etag')
  return etag && !etag.startsWith('W/') ? etag : (headers.get('last-modified') ?? undefined)
}

/**
 * fetch with a User-Agent, timeouts that fit big files (connect + headers, then idle between body
 * chunks, never the whole body), retries with backoff for network errors, timeouts, failed bodies,
 * 429 and 5xx (Retry-After honoured), bodies resumed with Range where the server allows it,
 * redirects followed on the same origin only, a shared concurrency limit, and counters.
 */
export class HttpClient {
  /** Requests sent (every attempt, redirect and resume counts). */
  requests = 0
  /** Body bytes received through `stream()`/`text()`. */
  bytesReceived = 0
  readonly limiter: Limiter
  private readonly settings: Required<Omit<HttpClientOptions, 'limiter' | 'signal' | 'onRetry' | 'userAgent'>>

  constructor(private readonly options: HttpClientOptions) {
    this.limiter = options.limiter ?? new Limiter(MAX_CONCURRENT_REQUESTS)
    const {userAgent: _userAgent, limiter: _limiter, signal: _signal, onRetry: _onRetry, ...settings} = options
    this.settings = {...HTTP_DEFAULTS, ...settings}
  }

  /**
   * GET `url` and hand a 2xx or 304 response to `consume`, which reads the body; the concurrency
   * slot covers `consume` too. Other statuses throw HttpStatusError. A body that fails mid-way is
   * resumed (Range) or, where that cannot be done, `consume` is called again on a new attempt: it
   * must leave nothing behind when its stream fails (stores write atomically). Any other failure
   * of `consume` is not retried.
   */
  async get<T>(url: string, headers: Record<string, string>, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    const tries = {failed: 0}
    for (;;) {
      const outcome = await this.limiter.run(() => this.attempt(url, headers, consume, tries))
      if (outcome.done) return outcome.value
      await this.backOff(tries, outcome.error, outcome.retryAfter)
    }
  }

  private async attempt<T>(url: string, headers: Record<string, string>, consume: (response: HttpResponse) => Promise<T>, tries: Exchange['tries']): Promise<Outcome<T>> {
    const exchange: Exchange = {url, headers, controller: new AbortController(), tries}
    try {
      let response: Response
      try {
        response = await this.request(url, headers, exchange.controller)
      } catch (error) {
        const failure = this.failure(url, error)
        if (!failure.retryable) throw failure
        return {done: false, error: failure}
      }
      if (!response.ok && response.status !== 304) {
        await response.body?.cancel()
        const error = new HttpStatusError(url, response.status, response.statusText)
        if (!error.retryable) throw error
        return {done: false, error, retryAfter: response.headers.get('retry-after')}
      }
      try {
        return {done: true, value: await consume(this.wrap(response, exchange))}
      } catch (error) {
        if (exchange.bodyFailure?.retryable) return {done: false, error: exchange.bodyFailure}
        throw error
      }
    } finally {
      // Frees the connection of a body the consumer did not read (a 304, a refused length).
      exchange.controller.abort()
    }
  }

  /** Count a failure; throw it when the budget is spent, else report the retry and wait. */
  private async backOff(tries: Exchange['tries'], error: UpstreamError, retryAfter?: string | null): Promise<void> {
    tries.failed++
    if (tries.failed > this.settings.retries) throw error
    const {backoffMs, maxDelayMs} = this.settings
    const delayMs = Math.min(maxDelayMs, retryAfterMs(retryAfter ?? null) ?? backoffDelay(tries.failed, backoffMs, maxDelayMs))
    this.options.onRetry?.({url: error.url, attempt: tries.failed, delayMs, reason: error.reason})
    await sleep(delayMs, undefined, {signal: this.options.signal})
  }

  /** Send one request and follow same-origin redirects; resolves at the final response's headers. */
  private async request(url: string, headers: Record<string, string>, controller: AbortController): Promise<Response> {
    const {headersTimeoutMs, maxRedirects} = this.settings
    const timer = setTimeout(
      () => controller.abort(new UpstreamError(url, `no response within ${seconds(headersTimeoutMs)} (connect and headers)`, true)),
      headersTimeoutMs,
    )
    const signal = this.options.signal ? AbortSignal.any([controller.signal, this.options.signal]) : controller.signal
    try {
      let current = url
      for (let hops = 0; hops <= maxRedirects; hops++) {
        this.requests++
        const response = await fetch(current, {headers: {...headers, 'user-agent': this.options.userAgent}, signal, redirect: 'manual'})
        const location = REDIRECTS.has(response.status) ? response.headers.get('location') : null
        if (location === null) return response
        await response.body?.cancel()
        const next = new URL(location, current)
        // Listing links to other hosts are refused; a redirect must not be a way round that.
        if (next.origin !== new URL(current).origin) throw new UpstreamError(current, `redirected to ${next.href}, another origin: refused, nothing stored`, false)
        current = next.href
      }
      throw new UpstreamError(url, `more than ${maxRedirects} redirects (a redirect loop?), the last to ${current}`, false)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Any error of a request or body as an UpstreamError; the caller's abort and permanent errors are never retried. */
  private failure(url: string, error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error
    const interrupted = Boolean(this.options.signal?.aborted)
    return new UpstreamError(url, interrupted ? 'interrupted' : networkReason(error), !interrupted && !isPermanent(error), {cause: error})
  }

  /**
   * The body's chunks, each awaited under the idle timeout. A failure mid-body is resumed with
   * `Range` + `If-Range` when the first response had a validator and the server answers 206 from
   * the right byte; otherwise it ends the stream and is recorded, so `get` starts a new attempt.
   */
  private async *chunks(first: Response, exchange: Exchange): AsyncGenerator<Buffer> {
    const {url} = exchange
    const {idleTimeoutMs} = this.settings
    let response = first
    let received = 0
    // Whether a failure comes from the network (resumable) or from the consumer, thrown in at
    // `yield` when its write failed (disk full): that one ends the body, never retried here.
    let reading = false
    for (;;) {
      try {
        if (!response.body) return
        const reader = response.body[Symbol.asyncIterator]()
        for (;;) {
          const {controller} = exchange
          const idle = setTimeout(
            () => controller.abort(new UpstreamError(url, `no data for ${seconds(idleTimeoutMs)} after ${received} bytes of the body`, true)),
            idleTimeoutMs,
          )
          reading = true
          const next = await reader.next().finally(() => clearTimeout(idle))
          reading = false
          if (next.done) return
          received += next.value.length
          this.bytesReceived += next.value.length
          yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
        }
      } catch (error) {
        if (!reading) throw error
        const failure = this.failure(url, error)
        exchange.bodyFailure = failure
        const validator = validatorOf(first.headers)
        if (!failure.retryable || validator === undefined || received === 0) throw failure
        await this.backOff(exchange.tries, failure)
        exchange.controller = new AbortController()
        response = await this.request(url, {...exchange.headers, range: `bytes=${received}-`, 'if-range': validator}, exchange.controller)
        if (response.status !== 206 || rangeStart(response) !== received) {
          await response.body?.cancel()
          throw failure
        }
        exchange.bodyFailure = undefined
      }
    }
  }

  private wrap(response: Response, exchange: Exchange): HttpResponse {
    const stream = (): Readable => Readable.from(this.chunks(response, exchange), {objectMode: false})
    return {
      status: response.status,
      headers: response.headers,
      stream,
      text: (cap) => (cap ? cappedText(exchange.url, response.headers, stream(), cap) : text(stream())),
    }
  }
}
