import {pipeline, Readable, Transform} from 'node:stream'
import {text} from 'node:stream/consumers'
import type {ReadableStream as WebReadableStream} from 'node:stream/web'
import {setTimeout as sleep} from 'node:timers/promises'

import {Limiter} from '../util/concurrency.js'

/** BLS blocks robots it finds excessive: never more than this many upstream requests at once. */
export const MAX_CONCURRENT_REQUESTS = 4

export interface HttpClientOptions {
  /** Sent with every request. */
  userAgent: string
  /** Per attempt, covering the headers and the whole body. */
  timeoutMs?: number
  /** Further attempts after a network error, 429 or 5xx. */
  retries?: number
  /** First backoff delay; doubles per attempt, with jitter. */
  backoffMs?: number
  /** Cap for any single wait, Retry-After included. */
  maxDelayMs?: number
  /** Shared between clients that must respect one limit together. */
  limiter?: Limiter
  onRetry?: (event: RetryEvent) => void
}

export interface RetryEvent {
  url: string
  /** The attempt that failed, from 1. */
  attempt: number
  delayMs: number
  reason: string
}

/** A non-retryable status, or a retryable one that outlasted every attempt. */
export class HttpStatusError extends Error {
  constructor(readonly url: string, readonly status: number, statusText: string) {
    super(`${url} answered ${status} ${statusText}`.trim())
    this.name = 'HttpStatusError'
  }
}

/** A response whose body is read at most once, through the client (so bytes are counted). */
export interface HttpResponse {
  status: number
  headers: Headers
  /** The body as a Node stream; bytes are counted as they flow. */
  stream(): Readable
  text(): Promise<string>
}

type Outcome<T> = {done: true; value: T} | {done: false; reason: string; error: unknown; retryAfter?: string | null}

const RETRYABLE = (status: number): boolean => status === 429 || status >= 500

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

/**
 * fetch with a User-Agent, a timeout per attempt, retries with backoff for network errors, 429
 * and 5xx (Retry-After honoured), a shared concurrency limit, and counters.
 */
export class HttpClient {
  /** Requests sent (every attempt counts). */
  requests = 0
  /** Body bytes received through `stream()`/`text()`. */
  bytesReceived = 0
  readonly limiter: Limiter
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly backoffMs: number
  private readonly maxDelayMs: number

  constructor(private readonly options: HttpClientOptions) {
    this.limiter = options.limiter ?? new Limiter(MAX_CONCURRENT_REQUESTS)
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.retries = options.retries ?? 4
    this.backoffMs = options.backoffMs ?? 1000
    this.maxDelayMs = options.maxDelayMs ?? 30_000
  }

  /**
   * GET `url` and hand a 2xx or 304 response to `consume`, which reads the body; the concurrency
   * slot and the timeout cover `consume` too. Other statuses throw HttpStatusError. A failure while
   * consuming is not retried: the consumer may already have acted on part of the body.
   */
  async get<T>(url: string, headers: Record<string, string>, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.limiter.run(async (): Promise<Outcome<T>> => {
        const signal = AbortSignal.timeout(this.timeoutMs)
        let response: Response
        try {
          this.requests++
          response = await fetch(url, {headers: {...headers, 'user-agent': this.options.userAgent}, signal, redirect: 'follow'})
        } catch (error) {
          return {done: false, reason: describeError(error), error}
        }
        if (RETRYABLE(response.status)) {
          await response.body?.cancel()
          const error = new HttpStatusError(url, response.status, response.statusText)
          return {done: false, reason: `${response.status} ${response.statusText}`.trim(), error, retryAfter: response.headers.get('retry-after')}
        }
        if (!response.ok && response.status !== 304) {
          await response.body?.cancel()
          throw new HttpStatusError(url, response.status, response.statusText)
        }
        return {done: true, value: await consume(this.wrap(response))}
      })
      if (outcome.done) return outcome.value
      if (attempt > this.retries) throw outcome.error
      const delayMs = Math.min(this.maxDelayMs, retryAfterMs(outcome.retryAfter ?? null) ?? backoffDelay(attempt, this.backoffMs, this.maxDelayMs))
      this.options.onRetry?.({url, attempt, delayMs, reason: outcome.reason})
      await sleep(delayMs)
    }
  }

  private wrap(response: Response): HttpResponse {
    const stream = (): Readable => {
      const counter = new Transform({
        transform: (chunk: Buffer, _encoding, callback) => {
          this.bytesReceived += chunk.length
          callback(null, chunk)
        },
      })
      // A 304 (or HEAD-like answer) has no body: an empty stream keeps callers uniform.
      const body = response.body ? Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) : Readable.from([])
      // pipeline passes a body error on to `counter`, where the consumer sees it.
      pipeline(body, counter, () => {})
      return counter
    }
    return {status: response.status, headers: response.headers, stream, text: () => text(stream())}
  }
}

/** fetch hides the useful part of a network error in `cause` (`fetch failed: connect ECONNREFUSED …`). */
export function describeError(error: unknown): string {
  const {message, cause} = error as {message: string; cause?: {message?: string}}
  return cause?.message ? `${message}: ${cause.message}` : message
}
