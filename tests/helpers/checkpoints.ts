/**
 * Checks of a checkpoint folder in the bucket against its `_COMPLETE` record (packages/model's
 * CompleteMarker: every file with its size and sha256): a folder whose files do not match the
 * record is a torn checkpoint, e.g. a stale file from a killed upload.
 */
import type { ObjectStore } from '@sppo/cloud';
import { checkpointCompleteKey, checkpointPrefix } from '@sppo/core';
import { sha256 } from './fault-proxy.ts';

export async function checkpointProblems(objects: ObjectStore, runId: string, t: number): Promise<string[]> {
  const problems: string[] = [];
  let record: { files?: Record<string, { bytes: number; sha256: string }> };
  try {
    record = JSON.parse(await objects.getText(checkpointCompleteKey(runId, t))) as typeof record;
  } catch (error) {
    return [`checkpoint ${t}: no readable _COMPLETE (${(error as Error).message})`];
  }
  const files = record.files ?? {};
  const prefix = checkpointPrefix(runId, t);
  const present = new Set((await objects.list(prefix)).map((o) => o.key.slice(prefix.length)));
  for (const [name, { bytes, sha256: want }] of Object.entries(files)) {
    if (!present.has(name)) {
      problems.push(`checkpoint ${t}: ${name} listed in _COMPLETE is missing`);
      continue;
    }
    const body = await objects.getBytes(`${prefix}${name}`);
    if (body.length !== bytes || sha256(body) !== want) problems.push(`checkpoint ${t}: ${name} does not match its _COMPLETE record`);
  }
  for (const name of present) if (name !== '_COMPLETE' && !(name in files)) problems.push(`checkpoint ${t}: ${name} is not in its _COMPLETE record`);
  return problems;
}
