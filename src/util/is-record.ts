/** A plain JSON object (not null, not an array): the shape every parser of outside JSON checks first. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
