/**
 * SidecarWatch without podman (fakes for `podman wait` and the container's FinishedAt): a sidecar
 * is watched from the moment it has started, and its exit is reported as what it was: before the
 * steps were started, or while they ran.
 */
import { SidecarContext, SidecarWatch, SidecarWatchDeps, sidecarExitMessage } from '../src/local/sidecars';

const ctx: SidecarContext = { podName: 'p', deadline: Number.MAX_SAFE_INTEGER, ctrName: (n) => `p-${n}`, notify: () => undefined };

/** A fake podman: `exit(name, code, atMs)` ends a watched sidecar at that time (podman's FinishedAt); the clock is `clock.now`. */
function fakes() {
  const clock = { now: 1_000 };
  const waits = new Map<string, (code: number | undefined) => void>();
  const finished = new Map<string, number>();
  const deps: SidecarWatchDeps = {
    waitExit: (name, signal) => new Promise((resolve) => {
      waits.set(name, resolve);
      signal.addEventListener('abort', () => resolve(undefined), { once: true });
    }),
    finishedAt: async (name) => finished.get(name),
    now: () => clock.now,
  };
  const exit = (name: string, code: number | undefined, atMs: number) => {
    finished.set(name, atMs);
    const w = waits.get(name);
    if (!w) throw new Error(`${name} is not watched`);
    w(code);
  };
  return { clock, deps, exit, watched: () => [...waits.keys()] };
}

/** What `failed` has resolved with after the pending callbacks ran, or undefined. */
async function settled(p: Promise<string>): Promise<string | undefined> {
  let value: string | undefined;
  void p.then((v) => { value = v; });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return value;
}

describe('SidecarWatch', () => {
  test('a sidecar that exits after it started but before the steps were started: "before the steps started"', async () => {
    const f = fakes();
    const watch = new SidecarWatch(ctx, f.deps);
    watch.add('db');
    expect(f.watched()).toEqual(['db']); // watched from its start, not from the steps'
    f.exit('db', 0, 1_500);
    expect(await settled(watch.failed)).toBe('sidecar db exited with code 0 before the steps started: a kubelet would restart it, a local run fails');
  });

  test('one that exits once the steps were started: "while the steps ran"', async () => {
    const f = fakes();
    const watch = new SidecarWatch(ctx, f.deps);
    watch.add('db');
    f.clock.now = 2_000;
    watch.stepsStarting();
    f.exit('db', 3, 2_500);
    expect(await settled(watch.failed)).toBe('sidecar db exited with code 3 while the steps ran: a kubelet would restart it, a local run stops the steps and fails');
  });

  test('one that ended before the steps were started but is seen after: podman\'s end time decides ("before")', async () => {
    const f = fakes();
    const watch = new SidecarWatch(ctx, f.deps);
    watch.add('db');
    f.clock.now = 2_000;
    watch.stepsStarting();
    f.exit('db', 1, 1_999);
    expect(await settled(watch.failed)).toMatch(/^sidecar db exited with code 1 before the steps started/);
  });

  test('nothing is reported after stop(), nor for a wait that ended without an exit code', async () => {
    const f = fakes();
    const watch = new SidecarWatch(ctx, f.deps);
    watch.add('a');
    watch.add('b');
    f.exit('a', undefined, 1_100);
    watch.stop();
    f.exit('b', 0, 1_200);
    expect(await settled(watch.failed)).toBeUndefined();
  });

  test('sidecarExitMessage: before when the steps were not started, else by its end time', () => {
    expect(sidecarExitMessage('db', 2, undefined, undefined)).toMatch(/^sidecar db exited with code 2 before the steps started/);
    expect(sidecarExitMessage('db', 2, 5, 4)).toMatch(/^sidecar db exited with code 2 while the steps ran/);
  });
});
