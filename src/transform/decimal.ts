/**
 * Exact decimals as scaled integers: BLS values carry up to 3 decimals, so `16.4` is held as
 * 16400. Sums and comparisons stay in integers; a float appears only when a value is written out.
 */
export const DECIMALS = 3
export const SCALE = 10 ** DECIMALS

/** Largest magnitude a single scaled value may have, so that sums of many stay exact. */
export const MAX_SCALED_VALUE = 1e15

/** `16400` → `"16.4"`, `-200` → `"-0.2"`, `7000` → `"7"`. */
export function formatScaled(scaled: number): string {
  const sign = scaled < 0 ? '-' : ''
  const magnitude = Math.abs(scaled)
  const whole = Math.floor(magnitude / SCALE)
  const fraction = String(magnitude % SCALE).padStart(DECIMALS, '0').replace(/0+$/, '')
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`
}

/**
 * The JSON number for a scaled value: the double nearest its exact decimal, which is what the
 * division gives (IEEE division rounds the exact quotient of two exact integers correctly), the
 * same as parsing `formatScaled`'s text, without the text. `+ 0` turns -0 into 0.
 */
export const scaledToNumber = (scaled: number): number => scaled / SCALE + 0
