/**
 * Runs through the gateway, and what the bucket holds afterwards: a small run config that goes
 * through every stage in seconds (tiny model, rule judge, few prompts, a handful of train steps),
 * polling GET /v1/runs/{id}, and the whole-run invariants the fault tests assert (one generation
 * row and one triplet row per prompt, every checkpoint complete, every key in core's layout).
 */
import type { ObjectStore } from '@sppo/cloud';
import {
  checkpointCompleteKey,
  generationRowSchema,
  generationShardKey,
  manifestKey,
  parseKey,
  roundManifestSchema,
  runPrefix,
  tripletRowSchema,
  tripletShardKey,
  type RoundManifest,
} from '@sppo/core';
import type { System } from './system.ts';

/** Prompts whose ids make every row traceable. */
export function testPrompts(n: number, tag = 'q'): { prompt_id: string; prompt: string }[] {
  return Array.from({ length: n }, (_, i) => ({ prompt_id: `${tag}${i}`, prompt: `Question ${i}: name a colour.` }));
}

/** A run that reaches every stage quickly: `prompts` prompts per round in shards of `promptsPerShard`. */
export function fastRunConfig({ model, prompts = 4, promptsPerShard = 2, rounds = 1, extra = {} }: { model: string; prompts?: number; promptsPerShard?: number; rounds?: number; extra?: Record<string, unknown> }): Record<string, unknown> {
  return {
    model_name_or_path: model,
    prompts: testPrompts(prompts * rounds),
    prompts_per_iteration: prompts,
    prompts_per_shard: promptsPerShard,
    num_iterations: rounds,
    samples_per_prompt: 2,
    temperature: 1,
    max_new_tokens: 6,
    judge_model: 'rule:length',
    // Training: the tiny preset's optimiser, two short steps per round.
    optim: 'adamw',
    learning_rate: 1e-3,
    warmup_ratio: 0,
    per_device_train_batch_size: 2,
    num_train_epochs: 1,
    max_length: 48,
    max_prompt_length: 24,
    save_steps: 1,
    beta: 0.1,
    ...extra,
  };
}

/** POST /v1/runs; the run id. */
export async function createRun(system: System, config: Record<string, unknown>, { tenant = 'acme' }: { tenant?: 'acme' | 'globex' } = {}): Promise<string> {
  const res = await system.call('POST', '/v1/runs', { tenant, body: config });
  if (res.status !== 201) throw new Error(`POST /v1/runs answered ${res.status}: ${res.text}`);
  return res.body.run_id as string;
}

/** Rejects with `what` if `promise` has not settled within `ms` (a stuck fault test fails fast). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type RunView = Record<string, unknown> & { status: string; failures: { stage: string; round: number; shard?: number; reason: string }[] };

export async function runView(system: System, runId: string, tenant: 'acme' | 'globex' = 'acme'): Promise<RunView> {
  const res = await system.call('GET', `/v1/runs/${runId}`, { tenant });
  if (res.status !== 200) throw new Error(`GET /v1/runs/${runId} answered ${res.status}: ${res.text}`);
  return res.body as RunView;
}

/** Polls the run until `until` holds (default: completed or failed); rejects after `timeoutMs`. */
export async function waitForRun(system: System, runId: string, { timeoutMs = 120_000, until = (v: RunView) => v.status === 'completed' || v.status === 'failed' } = {}): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  let last: RunView | undefined;
  while (Date.now() < deadline) {
    try {
      last = await runView(system, runId);
      if (until(last)) return last;
    } catch (error) {
      // The emulator may be restarting (the gateway answers 5xx, or the connection is refused): keep polling.
      if (!/answered 5\d\d|ECONNREFUSED|fetch failed/.test(String(error))) throw error;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const tail = system.processes.logs.slice(-20).map((l) => `  [${l.service}] ${l.text.slice(0, 300)}`).join('\n');
  throw new Error(`run ${runId} did not get there within ${timeoutMs} ms; last view: ${JSON.stringify(last)?.slice(0, 1500)}\nlast log lines:\n${tail}`);
}

export interface RunAudit {
  manifests: RoundManifest[];
  /** Generation and triplet rows per round, by prompt id (a count above 1 is a duplicate). */
  generationRows: Map<string, number>[];
  tripletRows: Map<string, number>[];
  /** Checkpoints 1..rounds with their _COMPLETE marker. */
  completeCheckpoints: number;
  /** Keys under runs/{run}/ that core's parseKey does not accept (must be none). */
  strayKeys: string[];
}

/** Reads back everything a finished run left in the bucket. */
export async function auditRun(objects: ObjectStore, runId: string, rounds: number): Promise<RunAudit> {
  const manifests: RoundManifest[] = [];
  const generationRows: Map<string, number>[] = [];
  const tripletRows: Map<string, number>[] = [];
  let completeCheckpoints = 0;
  for (let t = 0; t < rounds; t++) {
    const manifest = await objects.getJson(manifestKey(runId, t), roundManifestSchema);
    manifests.push(manifest);
    const gen = new Map<string, number>();
    const tri = new Map<string, number>();
    for (const { shard } of manifest.shards) {
      const g = await objects.readJsonl(generationShardKey(runId, t, shard), generationRowSchema);
      const r = await objects.readJsonl(tripletShardKey(runId, t, shard), tripletRowSchema);
      if (g.errors.length > 0 || r.errors.length > 0) throw new Error(`bad rows in round ${t} shard ${shard}: ${JSON.stringify([...g.errors, ...r.errors])}`);
      for (const row of g.rows) gen.set(row.prompt_id, (gen.get(row.prompt_id) ?? 0) + 1);
      for (const row of r.rows) tri.set(row.prompt_id, (tri.get(row.prompt_id) ?? 0) + 1);
    }
    generationRows.push(gen);
    tripletRows.push(tri);
    if (await objects.exists(checkpointCompleteKey(runId, t + 1))) completeCheckpoints += 1;
  }
  const keys = (await objects.list(runPrefix(runId))).map((o) => o.key);
  const strayKeys = keys.filter((key) => parseKey(key) === null);
  return { manifests, generationRows, tripletRows, completeCheckpoints, strayKeys };
}

/** Rows lost or duplicated by a run, against its manifests: 0 when every prompt has exactly one row. */
export function rowDefects(audit: RunAudit): { lost: number; duplicated: number; details: string[] } {
  let lost = 0;
  let duplicated = 0;
  const details: string[] = [];
  audit.manifests.forEach((manifest, t) => {
    for (const id of manifest.shards.flatMap((s) => s.prompt_ids)) {
      for (const [what, counts] of [['generation', audit.generationRows[t]], ['triplet', audit.tripletRows[t]]] as const) {
        const n = counts?.get(id) ?? 0;
        if (n === 0) {
          lost += 1;
          details.push(`round ${t}: no ${what} row for ${id}`);
        } else if (n > 1) {
          duplicated += n - 1;
          details.push(`round ${t}: ${n} ${what} rows for ${id}`);
        }
      }
    }
  });
  return { lost, duplicated, details };
}


/**
 * A run config as the YAML recipe `./sppo run FILE` reads: one `key: value` line per field, the
 * value written as JSON (a YAML flow scalar or sequence), lists as block sequences.
 */
export function recipeYaml(config: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (Array.isArray(value)) lines.push(`${key}:`, ...value.map((item) => `  - ${JSON.stringify(item)}`));
    else lines.push(`${key}: ${JSON.stringify(value)}`);
  }
  return `${lines.join('\n')}\n`;
}
