/**
 * Polling with backoff: one tick at a time, faster while runs are live,
 * exponentially slower after failures, and nothing at all while hidden.
 */

export interface PollerOptions {
  /** Delay between ticks while something is running (ms). */
  activeInterval: number;
  /** Delay between ticks when nothing is running (ms). */
  idleInterval: number;
  /** Upper bound of the backoff after consecutive failures (ms). */
  maxInterval: number;
  /** Injected clock for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/**
 * The tick resolves to `true` when something is still running (poll fast),
 * `false` when idle, and rejects on failure (back off).
 */
export type Tick = () => Promise<boolean>;

export class Poller {
  private timer: unknown = null;
  private visible = false;
  private inFlight = false;
  private failures = 0;
  private disposed = false;
  private lastActive = false;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly tick: Tick,
    private readonly options: PollerOptions
  ) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? (h => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** The delay before the next tick, given the last outcome. */
  get nextDelay(): number {
    const { activeInterval, idleInterval, maxInterval } = this.options;
    if (this.failures > 0) {
      return Math.min(maxInterval, activeInterval * 2 ** this.failures);
    }
    return this.lastActive ? activeInterval : idleInterval;
  }

  get isScheduled(): boolean {
    return this.timer !== null;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Shown: tick now and keep polling. Hidden: stop, no request goes out. */
  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) {
      return;
    }
    this.visible = visible;
    if (visible) {
      void this.run();
    } else {
      this.cancel();
    }
  }

  /** Tick now (e.g. after the user changed the query), then resume the schedule. */
  async refresh(): Promise<void> {
    await this.run();
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private async run(): Promise<void> {
    if (this.disposed || this.inFlight) {
      return;
    }
    this.cancel();
    this.inFlight = true;
    try {
      this.lastActive = await this.tick();
      this.failures = 0;
    } catch {
      this.failures += 1;
    } finally {
      this.inFlight = false;
    }
    if (this.visible && !this.disposed) {
      this.timer = this.setTimer(() => {
        this.timer = null;
        void this.run();
      }, this.nextDelay);
    }
  }
}
