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
