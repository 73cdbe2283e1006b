import {HttpStatusError, type HttpClient, type HttpResponse} from '../http/client.js'
import {CONTACT_REASON} from '../http/user-agent.js'
import {sanitize} from '../util/sanitize.js'
import {SURVEY_CODE} from './upstream.js'

/** One file of the directory listing (or one folder of the root's: size 0, `url` ending in `/`). */
export interface ListingEntry {
  /** Plain name (no `/`), also the last segment of `url`. */
  name: string
  url: string
  size: number
  /** The listing's date and time, normalised to `YYYY-MM-DDTHH:MM` (the server's local time). */
  date: string
}

export interface Listing {
  entries: ListingEntry[]
  /** Links that were skipped, and why. */
  warnings: string[]
}

export class UpstreamForbiddenError extends Error {
  constructor(readonly url: string) {
    super(`${url} answered 403 Forbidden: ${CONTACT_REASON}; check that the contact is set and real`)
    this.name = 'UpstreamForbiddenError'
  }
}

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'"}
const decodeEntities = (text: string): string => (text.includes('&') ? text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITIES[name]!) : text)

// `  6/6/2024  8:30 AM      1504795 ` — what IIS prints before each link (`<dir>` for folders).
const IIS_PREFIX = /(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})\s*([AP]M)\s+(\d+|<dir>)\s*$/i
// Linear scanning (README: Limits): each search below moves forward from where the last one ended,
// so no byte is examined more than a few times, whatever the page holds (unclosed tags included).
const ANCHOR_OPEN = /<a\s/gi
const ANCHOR_CLOSE = /<\/a>/gi
const HREF = /\bhref\s*=\s*"([^"]*)"/i
/** The date-and-size prefix is ~40 characters: only the end of the text before a link is read. */
const PREFIX_WINDOW = 256
/** A link's text is only checked for "Parent Directory": its start is enough. */
const TEXT_WINDOW = 256

interface Anchor {
  /** Where the `<a` starts and where the `</a>` ends. */
  start: number
  end: number
  href: string
  text: string
}

/** The `<a … href="…">text</a>` links of `html`, in order, in one forward pass. */
function* anchors(html: string): Generator<Anchor> {
  let from = 0
  for (;;) {
    ANCHOR_OPEN.lastIndex = from
    const open = ANCHOR_OPEN.exec(html)
    if (!open) return
    const tagEnd = html.indexOf('>', open.index)
    if (tagEnd === -1) return
    const href = HREF.exec(html.slice(open.index, tagEnd))
    if (!href) {
      from = tagEnd + 1
      continue
    }
    ANCHOR_CLOSE.lastIndex = tagEnd + 1
    const close = ANCHOR_CLOSE.exec(html)
    // No `</a>` after this link: none after any later one either.
    if (!close) return
    const text = html.slice(tagEnd + 1, Math.min(close.index, tagEnd + 1 + TEXT_WINDOW))
    yield {start: open.index, end: close.index + close[0].length, href: href[1]!, text}
    from = close.index + close[0].length
  }
}

const pad = (n: number | string): string => String(n).padStart(2, '0')

/** A name that needs no URL parsing, decoding or encoding: what every real BLS file is called. */
const PLAIN_NAME = /^[\w.-]+$/

/** Why `href` cannot be taken as a plain file (or folder) directly under the listed directory, or its name. */
function entryNameOf(href: string, base: URL, kind: EntryKind): {name: string} | {problem: string} {
  // The usual IIS link, `/pub/time.series/pr/pr.series`: read at once (a 100,000-entry listing in ~1 s).
  const tail = href.startsWith(base.pathname) ? href.slice(base.pathname.length) : undefined
  const plain = kind === 'folder' && tail?.endsWith('/') ? tail.slice(0, -1) : tail
  if (plain !== undefined && PLAIN_NAME.test(plain) && plain !== '.' && plain !== '..' && (kind === 'file') === (plain === tail)) return {name: plain}
  if (href.split(/[/\\]/).some((segment) => segment === '..' || /^(%2e){2}$/i.test(segment))) return {problem: 'contains ..'}
  let url: URL
  try {
    url = new URL(href, base)
  } catch {
    return {problem: 'not a valid URL'}
  }
  if (url.origin !== base.origin) return {problem: `points to another host (${url.origin})`}
  if (url.search !== '' || url.hash !== '') return {problem: 'carries a query or fragment'}
  if (!url.pathname.startsWith(base.pathname)) return {problem: `points outside ${base.pathname}`}
  let rest = url.pathname.slice(base.pathname.length)
  // A folder's link ends in one slash (`/pub/time.series/cu/`).
  if (kind === 'folder' && rest.endsWith('/')) rest = rest.slice(0, -1)
  if (rest === '' || rest.includes('/')) return {problem: kind === 'file' ? 'is not a plain file name (a sub-path or folder)' : 'is not a folder directly under the root'}
  let name: string
  try {
    name = decodeURIComponent(rest)
  } catch {
    return {problem: 'is not valid percent-encoding'}
  }
  // Controls and bidi overrides too: a name must print as what it is.
  if (name === '.' || name !== sanitize(name) || /[/\\]/.test(name)) return {problem: 'is not a plain file name'}
  return {name}
}

type EntryKind = 'file' | 'folder'

/**
 * Read an IIS directory listing for entries of one kind. Only plain names directly under the
 * listed directory are kept; the parent link is dropped silently and anything else odd (another
 * host, `..`, a sub-path, the other kind) is dropped with a warning, so nothing can be written
 * outside the store's root.
 */
function parseIis(html: string, listingUrl: string, kind: EntryKind): {entries: ListingEntry[]; warnings: string[]} {
  const base = new URL(listingUrl)
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  const entries: ListingEntry[] = []
  const warnings: string[] = []
  const names = new Set<string>()
  let previousEnd = 0
  for (const anchor of anchors(html)) {
    // The text between the previous link and this one holds this line's date, time and size.
    // After the last tag before the link (`<br>`), at most PREFIX_WINDOW characters.
    const before = decodeEntities(html.slice(Math.max(previousEnd, anchor.start - PREFIX_WINDOW, html.lastIndexOf('>', anchor.start - 1) + 1), anchor.start))
    previousEnd = anchor.end
    const href = decodeEntities(anchor.href)
    if (/parent directory/i.test(anchor.text)) continue
    const skip = (why: string): void => {
      warnings.push(sanitize(`skipped listing link ${JSON.stringify(href)}: ${why}`))
    }
    const found = entryNameOf(href, base, kind)
    if ('problem' in found) {
      skip(found.problem)
      continue
    }
    const line = IIS_PREFIX.exec(before)
    if (!line) {
      skip('no date and size before it (not an IIS listing line)')
      continue
    }
    const [, month, day, year, hour, minute, half, size] = line as unknown as string[]
    const folder = size!.toLowerCase() === '<dir>'
    if (folder !== (kind === 'folder')) {
      skip(folder ? 'is a folder' : 'is a file, not a folder')
      continue
    }
    if (names.has(found.name)) {
      skip('listed twice')
      continue
    }
    names.add(found.name)
    const hours = (Number(hour) % 12) + (half!.toUpperCase() === 'PM' ? 12 : 0)
    entries.push({
      name: found.name,
      url: PLAIN_NAME.test(found.name) ? `${base.origin}${base.pathname}${found.name}${folder ? '/' : ''}` : new URL(encodeURIComponent(found.name) + (folder ? '/' : ''), base).href,
      size: folder ? 0 : Number(size),
      date: `${year}-${pad(month!)}-${pad(day!)}T${pad(hours)}:${minute}`,
    })
  }
  return {entries: entries.sort((a, b) => (a.name < b.name ? -1 : 1)), warnings}
}

/** Parse a survey directory's IIS listing: its plain files, and warnings for every link skipped. */
export const parseListing = (html: string, listingUrl: string): Listing => parseIis(html, listingUrl, 'file')

/** The survey codes the `time.series/` root lists (its folders named like a code), sorted; the rest is warned about. */
export function parseRootListing(html: string, rootUrl: string): {surveys: string[]; warnings: string[]} {
  const {entries, warnings} = parseIis(html, rootUrl, 'folder')
  const surveys: string[] = []
  for (const {name} of entries) {
    if (SURVEY_CODE.test(name)) surveys.push(name)
    else warnings.push(`skipped root folder ${JSON.stringify(name)}: not a survey code`)
  }
  return {surveys, warnings}
}

/** GET from BLS, turning a 403 into the contact hint. */
export async function blsGet<T>(client: HttpClient, url: string, headers: Record<string, string>, consume: (response: HttpResponse) => Promise<T>): Promise<T> {
  try {
    return await client.get(url, headers, consume)
  } catch (error) {
    throw error instanceof HttpStatusError && error.status === 403 ? new UpstreamForbiddenError(url) : error
  }
}

/** The most of a directory listing read: the real `pr` one is 3 KB, a 100,000-file listing 9 MB. */
export const MAX_LISTING_BYTES = 32 * 1024 * 1024

const getHtml = (client: HttpClient, url: string): Promise<string> =>
  blsGet(client, url, {accept: 'text/html'}, (response) => response.text({maxBytes: MAX_LISTING_BYTES, what: 'directory listing'}))

export async function readListing(client: HttpClient, listingUrl: string): Promise<Listing> {
  return parseListing(await getHtml(client, listingUrl), listingUrl)
}

/** Every survey the root lists (see parseRootListing); one request. */
export async function readRootListing(client: HttpClient, rootUrl: string): Promise<{surveys: string[]; warnings: string[]}> {
  return parseRootListing(await getHtml(client, rootUrl), rootUrl)
}
