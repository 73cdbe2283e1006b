/** `1 file`, `2 files`; words with another plural name it (`plural(2, 'series', 'series')`). */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`
