// Live meeting state: the reducer (mirror of meetings/reducer.py) and the seq bookkeeping around it.

const clone = (value) => (value === undefined ? undefined : structuredClone(value));

/**
 * Apply one event envelope {seq, type, data} to a snapshot {meeting, agenda, participants, quorum, ...}.
 * Exactly meetings/reducer.py: every top-level key of the state (the core slices and those other domains
 * register) found in data replaces the state's; data.participant replaces the row with the same user_id.
 * Returns a new object; the input is not changed.
 */
export function applyEvent(state, event) {
  const next = clone(state) ?? {};
  const data = event?.data ?? {};
  for (const key of Object.keys(state ?? {})) {
    if (Object.hasOwn(data, key)) next[key] = clone(data[key]);
  }
  if ("participant" in data) {
    const row = data.participant;
    next.participants = (next.participants ?? []).map((p) => (p.user_id === row.user_id ? clone(row) : p));
  }
  return next;
}

/**
 * Keeps a snapshot current from a stream of seq-numbered events.
 *
 *  - before the first snapshot (or while re-joining) events are buffered; reset() applies those newer than
 *    the snapshot's seq;
 *  - an event with seq <= current is ignored (already applied);
 *  - seq == current + 1 is applied at once, with any buffered followers;
 *  - seq > current + 1 is kept and, if the gap is still open after `gapWaitMs`, `onGap(currentSeq)` is called
 *    so the caller can ask the server (meeting:sync) for what is missing.
 */
export class LiveState {
  constructor({ onChange = () => {}, onGap = () => {}, gapWaitMs = 300 } = {}) {
    this.state = null;
    this.seq = 0;
    this.ready = false;
    this.pending = new Map(); // seq -> event, not yet applicable
    this.onChange = onChange;
    this.onGap = onGap;
    this.gapWaitMs = gapWaitMs;
    this.gapTimer = null;
  }

  /** Stop applying (e.g. while disconnected); events keep being buffered until the next reset(). */
  suspend() {
    this.ready = false;
    this.clearGapTimer();
  }

  /** A fresh snapshot at `seq` (join ack or sync fallback). */
  reset(snapshot, seq) {
    this.state = clone(snapshot);
    this.seq = seq;
    this.ready = true;
    const applied = this.drain();
    this.onChange(this.state, { reset: true, events: applied });
    this.checkGap();
  }

  /** One pushed event envelope. */
  push(event) {
    if (!event || typeof event.seq !== "number") return;
    if (event.seq <= this.seq && this.ready) return;
    this.pending.set(event.seq, event);
    if (!this.ready) return;
    const applied = this.drain();
    if (applied.length) this.onChange(this.state, { reset: false, events: applied });
    this.checkGap();
  }

  /** The answer to meeting:sync: {events, seq} or {snapshot, seq}. */
  applySync(result) {
    if (!result) return;
    if (result.snapshot) {
      for (const key of [...this.pending.keys()]) if (key <= result.seq) this.pending.delete(key);
      this.reset(result.snapshot, result.seq);
      return;
    }
    for (const event of result.events ?? []) {
      if (event.seq > this.seq) this.pending.set(event.seq, event);
    }
    const applied = this.drain();
    if (applied.length) this.onChange(this.state, { reset: false, events: applied });
    this.checkGap();
  }

  /** Apply buffered events that follow the current seq without a hole; drop stale ones. */
  drain() {
    const applied = [];
    for (const key of [...this.pending.keys()]) if (key <= this.seq) this.pending.delete(key);
    while (this.pending.has(this.seq + 1)) {
      const event = this.pending.get(this.seq + 1);
      this.pending.delete(this.seq + 1);
      this.state = applyEvent(this.state, event);
      this.seq = event.seq;
      applied.push(event);
    }
    return applied;
  }

  hasGap() {
    return this.ready && this.pending.size > 0;
  }

  checkGap() {
    if (!this.hasGap()) {
      this.clearGapTimer();
      return;
    }
    if (this.gapTimer !== null) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      if (this.hasGap()) this.onGap(this.seq);
    }, this.gapWaitMs);
  }

  clearGapTimer() {
    if (this.gapTimer !== null) clearTimeout(this.gapTimer);
    this.gapTimer = null;
  }
}
