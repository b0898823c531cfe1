// Where to resume an event stream, and which events were already taken.
//
// Cursors are opaque: they cannot be compared, only remembered. The resume
// point is the cursor of the last event taken or of the last progress
// marker, whichever came last (both are positions in the one log, in
// order). Every cursor taken is remembered (up to `capacity`, oldest
// forgotten first) so that an event delivered twice — by a replay that
// overlaps what was already shown — is dropped.

export class ResumeState {
  /** The cursor to resume after; empty: none yet. */
  cursor = "";
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(private readonly capacity = 20_000) {}

  /**
   * Takes an event with this cursor. False when it was already taken (the
   * caller drops it). An event without a cursor is taken but moves nothing.
   */
  takeEvent(cursor: string): boolean {
    if (!cursor) return true;
    if (this.seen.has(cursor)) return false;
    this.seen.add(cursor);
    this.order.push(cursor);
    if (this.order.length - this.head > this.capacity) {
      this.seen.delete(this.order[this.head]!);
      this.head++;
      if (this.head > 4096) {
        this.order.splice(0, this.head);
        this.head = 0;
      }
    }
    this.cursor = cursor;
    return true;
  }

  /** A progress marker: nothing in scope up to `cursor`. */
  takeProgress(cursor: string): void {
    if (cursor) this.cursor = cursor;
  }

  /** Whether an event with this cursor was taken. */
  has(cursor: string): boolean {
    return this.seen.has(cursor);
  }

  /** Forget everything (history is loaded again from the start). */
  reset(): void {
    this.cursor = "";
    this.seen.clear();
    this.order.length = 0;
    this.head = 0;
  }

  get size(): number {
    return this.seen.size;
  }
}
