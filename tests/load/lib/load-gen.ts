/**
 * A small open-loop HTTP load generator (no autocannon): requests are started at a fixed rate for a
 * fixed time, whatever the answers, at most `maxInFlight` at once; a request that would exceed that
 * is not sent and counted as `shed` (the client's own saturation: the server did not keep up).
 * Bounded in count (rate x seconds) and time (every request has a timeout), loopback only.
 */

export interface StepResult {
  /** Requests started per second (the target). */
  offered_rps: number;
  /** Answers (any status) per second of the step. */
  achieved_rps: number;
  sent: number;
  ok: number;
  /** Answers with a status >= 400 (incl. 5xx), and requests that failed or timed out. */
  errors: number;
  status_5xx: number;
  status_429: number;
  failed: number;
  shed: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  statuses: Record<string, number>;
}

export interface StepOptions {
  /** Builds the i-th request (URL must be on 127.0.0.1). */
  request: (i: number) => { url: string; init: RequestInit };
  rate: number;
  seconds: number;
  maxInFlight?: number;
  timeoutMs?: number;
  /** Successful statuses (default: 2xx). */
  ok?: (status: number) => boolean;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1') throw new Error(`load generator: ${url} is not on 127.0.0.1; this suite only targets loopback`);
}

export async function runStep({ request, rate, seconds, maxInFlight = 64, timeoutMs = 10_000, ok = (s) => s >= 200 && s < 300 }: StepOptions): Promise<StepResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let shed = 0;
  let failed = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const total = Math.max(1, Math.round(rate * seconds));
  const started = performance.now();

  const fire = (i: number) => {
    const { url, init } = request(i);
    assertLoopback(url);
    inFlight += 1;
    sent += 1;
    const t0 = performance.now();
    const p = fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
      .then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      })
      .catch(() => {
        failed += 1;
      })
      .finally(() => {
        inFlight -= 1;
        pending.delete(p);
      });
    pending.add(p);
  };

  // Start request i at started + i / rate; catch up in bursts if a timer fires late.
  let next = 0;
  while (next < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; next < due; next++) {
      if (inFlight >= maxInFlight) shed += 1;
      else fire(next);
    }
    if (next < total) {
      const wait = started + (next / rate) * 1000 - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 50))));
    }
  }
  const sendingDone = performance.now();
  await Promise.all([...pending]);
  const elapsed = Math.max(seconds, (sendingDone - started) / 1000);

  latencies.sort((a, b) => a - b);
  const count = (pred: (s: number) => boolean) => Object.entries(statuses).reduce((n, [s, c]) => n + (pred(Number(s)) ? c : 0), 0);
  const okCount = count(ok);
  return {
    offered_rps: rate,
    achieved_rps: round(latencies.length / elapsed),
    sent,
    ok: okCount,
    errors: latencies.length - okCount + failed,
    status_5xx: count((s) => s >= 500),
    status_429: count((s) => s === 429),
    failed,
    shed,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies.at(-1) ?? 0),
    statuses,
  };
}

export interface KneeOptions {
  /** A step keeps up when it answered at least this share of the offered rate... */
  minAchievedShare?: number;
  /** ...without errors, and with a p99 at most this many times the first step's (or `floorMs`). */
  p99Factor?: number;
  floorMs?: number;
}

/**
 * The knee of a rising-rate series: the highest offered rate up to which every step kept up (see
 * KneeOptions); null when even the first step did not.
 */
export function findKnee(steps: readonly StepResult[], { minAchievedShare = 0.9, p99Factor = 5, floorMs = 200 }: KneeOptions = {}): { knee: number | null; keptUp: boolean[] } {
  const first = steps[0];
  const limit = Math.max(floorMs, (first?.p99_ms ?? 0) * p99Factor);
  const keptUp = steps.map((s) => s.errors === 0 && s.shed === 0 && s.achieved_rps >= minAchievedShare * s.offered_rps && s.p99_ms <= limit);
  let knee: number | null = null;
  for (let i = 0; i < steps.length && keptUp[i]; i++) knee = steps[i]?.offered_rps ?? null;
  return { knee, keptUp };
}
