import { describe, expect, it } from 'vitest';

import { Poller } from '../src/views/poller';

/** A manual clock: timers fire only when the test says so. */
function manualClock() {
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    timers,
    setTimer: (fn: () => void, ms: number) => {
      timers.set(next, { fn, ms });
      return next++;
    },
    clearTimer: (h: unknown) => void timers.delete(h as number),
    async fire() {
      const [id, t] = [...timers.entries()][0];
      timers.delete(id);
      t.fn();
      await new Promise(r => setTimeout(r, 0));
      return t.ms;
    }
  };
}

const flush = () => new Promise(r => setTimeout(r, 0));

describe('Poller', () => {
  it('polls fast while runs are live, slow when idle, and not at all when hidden', async () => {
    const clock = manualClock();
    const outcomes = [true, true, false];
    let ticks = 0;
    const poller = new Poller(async () => outcomes[ticks++] ?? false, {
      activeInterval: 1000, idleInterval: 10000, maxInterval: 60000, ...clock
    });
    expect(ticks).toBe(0);
    poller.setVisible(true);
    await flush();
    expect(ticks).toBe(1);
    expect([...clock.timers.values()][0].ms).toBe(1000);
    await clock.fire();
    expect(ticks).toBe(2);
    await clock.fire();
    expect(ticks).toBe(3);
    expect([...clock.timers.values()][0].ms).toBe(10000);
    poller.setVisible(false);
    expect(clock.timers.size).toBe(0);
    expect(poller.isScheduled).toBe(false);
    await flush();
    expect(ticks).toBe(3);
  });

  it('backs off exponentially on failures, up to the cap, and recovers', async () => {
    const clock = manualClock();
    let fail = true;
    const poller = new Poller(async () => {
      if (fail) {
        throw new Error('down');
      }
      return false;
    }, { activeInterval: 1000, idleInterval: 5000, maxInterval: 8000, ...clock });
    poller.setVisible(true);
    await flush();
    const delays = [[...clock.timers.values()][0].ms];
    for (let i = 0; i < 4; i++) {
      await clock.fire();
      delays.push([...clock.timers.values()][0].ms);
    }
    expect(delays).toEqual([2000, 4000, 8000, 8000, 8000]);
    fail = false;
    await clock.fire();
    expect(poller.consecutiveFailures).toBe(0);
    expect([...clock.timers.values()][0].ms).toBe(5000);
  });

  it('never runs two ticks at once', async () => {
    const clock = manualClock();
    let concurrent = 0;
    let maxConcurrent = 0;
    let release: () => void = () => undefined;
    const poller = new Poller(async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise<void>(r => (release = r));
      concurrent--;
      return false;
    }, { activeInterval: 1, idleInterval: 1, maxInterval: 1, ...clock });
    poller.setVisible(true);
    void poller.refresh();
    void poller.refresh();
    release();
    await flush();
    expect(maxConcurrent).toBe(1);
    poller.dispose();
    expect(clock.timers.size).toBe(0);
  });
});
