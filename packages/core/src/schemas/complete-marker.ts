/**
 * The `_COMPLETE` marker of a checkpoint folder (ARCHITECTURE 3.2, 3.4): written last, it is what
 * makes a checkpoint exist, and it records the files a reader must find. Two forms are accepted
 * everywhere (the gateway's copy of checkpoint 0, the trainer, the generator):
 *
 * - the checkpoint record of packages/model's writeCheckpoint (checkpoint.ts):
 *     { format: 'sppo-checkpoint/1', files: { [name]: { bytes, sha256 } } }
 * - the upload manifest of packages/cloud's uploadFolder (folders.ts), written for a folder that
 *   had no marker of its own (a plain HF folder), and by the gateway when it copies such a folder
 *   (it has the sizes from the listing but would have to read every byte for a sha256):
 *     { files: [{ path, size }] }
 *
 * Anything else is a malformed marker: a permanent error for a reader, never retried.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { toValidationIssues } from '../config/issues.ts';

export const CHECKPOINT_RECORD_FORMAT = 'sppo-checkpoint/1';

/** A '/'-separated relative path without empty, '.' or '..' segments (cloud's uploadFolder paths). */
const relativePath = z
  .string()
  .regex(/^(?!\/)(?:[^/\\]+\/)*[^/\\]+$/, 'must be a relative path')
  .refine((path) => path.split('/').every((segment) => segment !== '.' && segment !== '..'), 'must not contain "." or ".." segments');

export const checkpointRecordSchema = z.object({
  format: z.literal(CHECKPOINT_RECORD_FORMAT),
  files: z.record(relativePath, z.object({ bytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits') })),
});

export const uploadManifestSchema = z.object({
  files: z.array(z.object({ path: relativePath, size: z.number().int().min(0) })),
});

export type CheckpointRecord = z.output<typeof checkpointRecordSchema>;
export type UploadManifest = z.output<typeof uploadManifestSchema>;

/** A marker of either form, reduced to what a reader checks: each file's name, size and (record form) sha256. */
export interface CompleteMarkerFiles {
  kind: 'record' | 'upload';
  files: { path: string; bytes: number; sha256?: string }[];
}

/**
 * Parses a `_COMPLETE` marker's text (`where` names it in errors, e.g. its key). Throws a
 * ValidationError (a user error: permanent) when it is not JSON or neither accepted form.
 */
export function parseCompleteMarker(text: string, where: string): CompleteMarkerFiles {
  const subject = `checkpoint marker ${where}`;
  const hint =
    `A _COMPLETE marker is packages/model's checkpoint record {format: '${CHECKPOINT_RECORD_FORMAT}', files: {name: {bytes, sha256}}} ` +
    "or packages/cloud's upload manifest {files: [{path, size}]}; re-copy or re-upload the checkpoint (its marker last).";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(subject, [{ path: '', message: `is not valid JSON: ${(error as Error).message}` }], hint);
  }
  const hasFormat = typeof value === 'object' && value !== null && 'format' in value;
  const schema = hasFormat ? checkpointRecordSchema : uploadManifestSchema;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(subject, toValidationIssues(result.error.issues, schema), hint);
  const parsed = result.data;
  if ('format' in parsed) {
    return { kind: 'record', files: Object.entries(parsed.files).map(([path, file]) => ({ path, bytes: file.bytes, sha256: file.sha256 })) };
  }
  return { kind: 'upload', files: parsed.files.map((file) => ({ path: file.path, bytes: file.size })) };
}

/** The upload-manifest form's text for `files` (as cloud's uploadFolder writes it, one line). */
export function formatUploadManifest(files: readonly { path: string; size: number }[]): string {
  return `${JSON.stringify(uploadManifestSchema.parse({ files: files.map(({ path, size }) => ({ path, size })) }))}\n`;
}

/**
 * The problems of a folder against its marker, given each file's size (undefined: missing). Empty
 * when every recorded file is there with its recorded size.
 */
export function markerSizeProblems(marker: CompleteMarkerFiles, sizeOf: (path: string) => number | undefined): string[] {
  return marker.files.flatMap(({ path, bytes }) => {
    const size = sizeOf(path);
    if (size === bytes) return [];
    return [`${path} ${size === undefined ? 'is missing' : `has ${size} bytes`} but _COMPLETE records ${bytes}`];
  });
}
