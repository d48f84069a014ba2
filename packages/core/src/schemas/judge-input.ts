/**
 * The rows a judge reads: K responses to one prompt. Three layouts are accepted, told apart by
 * their columns, and brought to one shape (`JudgeInputRow`):
 * - ours, as the generator writes it (generationRowSchema: prompt_id, prompt, prompt_text,
 *   responses, seeds, response_tokens, finish_reasons);
 * - the official generated set (scripts/compute_prob.py, the UCLA-AGI/data-*-sppo-iter* datasets,
 *   SPPO-REFERENCE 2.2 step 7): prompt_id, prompt, generate_0 .. generate_{K-1} as message lists
 *   [{user: prompt}, {assistant: response}] (or plain strings), probability K x K and rm_scores K,
 *   which a new judgement replaces;
 * - a plain { prompt, responses } (prompt_id optional).
 * The generator's extras (prompt_text, seeds, response_tokens, finish_reasons) are optional: without
 * prompt_text the judge templates the prompt itself (its caller's `renderPrompt`).
 */
import { z } from 'zod';
import { toValidationIssues } from '../config/issues.ts';
import { chatMessageSchema, FINISH_REASONS } from './rows.ts';

/** One prompt with its K responses, whatever layout it came in. */
export interface JudgeInputRow {
  prompt_id: string;
  prompt: string;
  /** The prompt as the policy saw it (after the chat template), when the row says. */
  prompt_text?: string;
  responses: string[];
  seeds?: number[];
  response_tokens?: number[];
  finish_reasons?: (typeof FINISH_REASONS)[number][];
}

const GENERATE_COLUMN = /^generate_(\d+)$/;

const idSchema = z.union([z.string().min(1), z.number().int().transform(String)]);

/** `generate_k`: a message list ending with the assistant's answer, or the answer itself. */
const generatedSchema = z.union([
  z.string(),
  z
    .array(chatMessageSchema)
    .min(1)
    .refine((messages) => messages[messages.length - 1]?.role === 'assistant', { message: 'a generate_k message list must end with the assistant message (the response)' }),
]);

const rowSchema = z
  .object({
    prompt_id: idSchema.optional(),
    prompt: z.string({ error: 'prompt is required: the prompt text (a string)' }),
    prompt_text: z.string().optional(),
    responses: z.array(z.string()).optional(),
    seeds: z.array(z.number().int()).optional(),
    response_tokens: z.array(z.number().int().min(0)).optional(),
    finish_reasons: z.array(z.enum(FINISH_REASONS)).optional(),
  })
  .loose();

export type JudgeInputResult = { ok: true; row: JudgeInputRow } | { ok: false; message: string };

/**
 * One row in any of the three layouts -> JudgeInputRow, or what is wrong with it. `index` (0-based)
 * names a row without prompt_id `p{index}`, as the prompt pool does (core normalizePrompts).
 */
export function parseJudgeInputRow(value: unknown, index: number): JudgeInputResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'not a JSON object' };
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, message: toValidationIssues(parsed.error.issues, rowSchema).map((i) => `${i.path || '(row)'}: ${i.message}`).join('; ') };
  }
  const row = parsed.data;
  // A null generate_k is an absent one: a table of rows with different K pads the short ones with nulls.
  const generated = Object.keys(row)
    .filter((key) => (row as Record<string, unknown>)[key] !== null && (row as Record<string, unknown>)[key] !== undefined)
    .map((key) => [key, GENERATE_COLUMN.exec(key)] as const)
    .filter((entry): entry is readonly [string, RegExpExecArray] => entry[1] !== null)
    .map(([key, m]) => [key, Number(m[1])] as const)
    .sort((a, b) => a[1] - b[1]);
  if (row.responses !== undefined && generated.length > 0) {
    return { ok: false, message: `give the responses once: either responses or ${generated.map(([k]) => k).join(', ')}, not both` };
  }
  let responses: string[];
  if (row.responses !== undefined) responses = row.responses;
  else if (generated.length > 0) {
    const gap = generated.findIndex(([, k], i) => k !== i);
    if (gap >= 0) return { ok: false, message: `generate_k columns must be generate_0 .. generate_${generated.length - 1}; ${generated[gap]?.[0]} is out of sequence` };
    responses = [];
    for (const [key] of generated) {
      const r = generatedSchema.safeParse((row as Record<string, unknown>)[key]);
      if (!r.success) return { ok: false, message: `${key}: ${r.error.issues[0]?.message ?? 'must be a string or a message list ending with the assistant message'}` };
      responses.push(typeof r.data === 'string' ? r.data : (r.data[r.data.length - 1]?.content ?? ''));
    }
  } else {
    return { ok: false, message: 'no responses: give responses (a list of K strings) or generate_0 .. generate_{K-1} (the official generated layout)' };
  }
  const k = responses.length;
  for (const field of ['seeds', 'response_tokens', 'finish_reasons'] as const) {
    const list = row[field];
    if (list !== undefined && list.length !== k) return { ok: false, message: `${field} has ${list.length} entries but there are ${k} responses; all per-sample lists need K entries` };
  }
  const out: JudgeInputRow = { prompt_id: row.prompt_id ?? `p${index}`, prompt: row.prompt, responses };
  if (row.prompt_text !== undefined) out.prompt_text = row.prompt_text;
  if (row.seeds !== undefined) out.seeds = row.seeds;
  if (row.response_tokens !== undefined) out.response_tokens = row.response_tokens;
  if (row.finish_reasons !== undefined) out.finish_reasons = row.finish_reasons;
  return { ok: true, row: out };
}

export interface BadRow {
  /** 1-based line (JSONL) or 0-based row (Parquet), as `where` names it. */
  where: string;
  message: string;
}

/**
 * The message for an input none of whose rows is usable: the first few bad rows and what each
 * lacks, so a wrong file fails loudly instead of producing an empty output.
 */
export function allRowsBadMessage(subject: string, bad: readonly BadRow[], expected: string, shown = 5): string {
  const listed = bad.slice(0, shown).map((b) => `  - ${b.where}: ${b.message}`).join('\n');
  const more = bad.length > shown ? `\n  ... and ${bad.length - shown} more` : '';
  return `${subject}: none of its ${bad.length} row(s) is usable; ${expected}\n${listed}${more}`;
}
