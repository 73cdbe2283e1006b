import stripAnsi from 'strip-ansi'

// C0 and C1 controls (newlines and tabs too: every use is one line or one cell), and the bidi
// controls that reorder what a terminal shows (ALM, LRM/RLM, U+202A–U+202E, U+2066–U+2069).
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

/**
 * Text from outside (upstream status lines, listing links, series titles, object keys) made safe to
 * print on a terminal: escape sequences (CSI, OSC titles and hyperlinks, DCS…) removed whole, then
 * any control or bidi character left. Escape sequences start with a control character, so text
 * without one is returned as is: that keeps a table of 200,000 rows fast.
 */
export const sanitize = (text: string): string => (CONTROL.test(text) ? stripAnsi(text).replace(CONTROLS, '') : text)

// What JSON.stringify leaves raw that a terminal acts on: C1 controls, the bidi controls above, and
// U+2028/U+2029 (line breaks to JavaScript). C0 controls it escapes itself.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * JSON text made safe to print, with the same value: each character above as a `\uXXXX` escape.
 * They can only occur inside strings (JSON's own syntax is ASCII), where the escape means the same.
 */
export const escapeJson = (json: string): string => json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
