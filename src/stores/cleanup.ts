// Work in hand that an interrupted process must undo on its way out (temp files to remove,
// multipart uploads to abort), after rclone's atexit registry: the signal handler runs each once.
type Cleanup = () => void | Promise<void>

const pending = new Set<Cleanup>()

/** Register `cleanup` to run if the process is interrupted; call the returned function once the work is done. */
export function onInterrupt(cleanup: Cleanup): () => void {
  pending.add(cleanup)
  return () => {
    pending.delete(cleanup)
  }
}

/**
 * Run every registered cleanup once, best effort (a failing one does not stop the others), until
 * none is left: work still in flight while an asynchronous cleanup runs may register more.
 */
export async function runInterruptCleanups(): Promise<void> {
  while (pending.size > 0) {
    const cleanups = [...pending]
    pending.clear()
    await Promise.allSettled(cleanups.map(async (cleanup) => cleanup()))
  }
}
