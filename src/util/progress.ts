/**
 * The progress port: what a running step may tell whoever shows it. Declared below every layer,
 * so the library and the pipeline report progress without importing the renderer (render/), which
 * implements it (createProgress) and drives it from each operation's events (fetchProgress…).
 */
export interface StepControl {
  /** Live detail, replaced by the next (shown on a terminal only). */
  update(text: string): void
  /** A line that stays, in every mode (--json included). */
  warn(message: string): void
  /** A line shown now, except with --json: a retry being waited on must not look like a hang. */
  note(message: string): void
}
