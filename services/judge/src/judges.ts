/**
 * Resolves the run config's `judge_model` to a PairwiseJudge, once per process and setting:
 * - `rule:length`, `rule:rps`: the rule judges of @sppo/model (tests, demos);
 * - an existing local folder: a judge checkpoint (pairwise.onnx + tokenizer files);
 * - otherwise an S3 prefix in the run bucket (e.g. the default `models/judge`): downloaded once to
 *   `{cacheDir}/judges/{prefix}` (whole or not at all; `_COMPLETE` required when the prefix has one,
 *   else `pairwise.onnx`), then loaded from there.
 * The token budgets come from the run config (judge_max_source_tokens / judge_max_candidate_tokens).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFolder, type ObjectStore } from '@sppo/cloud';
import { createRuleJudge, JUDGE_COMPLETE_MARKER, loadPairwiseJudge, PAIRWISE_MODEL_FILE, type OnnxPairwiseJudgeOptions, type PairwiseJudge } from '@sppo/model';
import { PermanentJudgeError } from './errors.ts';

export interface JudgeSpec {
  judgeModel: string;
  maxSourceTokens: number;
  maxCandidateTokens: number;
}

export type JudgeResolver = ((spec: JudgeSpec) => Promise<PairwiseJudge>) & { close(): Promise<void> };

export interface JudgeResolverOptions {
  store: ObjectStore;
  cacheDir: string;
  /** Batching, thread and execution provider of ONNX judges. */
  onnx?: OnnxPairwiseJudgeOptions;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export function createJudgeResolver({ store, cacheDir, onnx = {} }: JudgeResolverOptions): JudgeResolver {
  const cache = new Map<string, Promise<PairwiseJudge>>();
  const load = async ({ judgeModel, maxSourceTokens, maxCandidateTokens }: JudgeSpec): Promise<PairwiseJudge> => {
    if (judgeModel.startsWith('rule:')) {
      try {
        return createRuleJudge(judgeModel);
      } catch (e) {
        throw new PermanentJudgeError((e as Error).message);
      }
    }
    const options = { ...onnx, maxSourceTokens, maxCandidateTokens };
    let dir = judgeModel;
    if (!(await isDirectory(judgeModel))) {
      const prefix = judgeModel.endsWith('/') ? judgeModel : `${judgeModel}/`;
      const marker = (await store.exists(`${prefix}${JUDGE_COMPLETE_MARKER}`)) ? JUDGE_COMPLETE_MARKER : PAIRWISE_MODEL_FILE;
      if (!(await store.exists(`${prefix}${marker}`))) {
        throw new PermanentJudgeError(
          `judge_model ${JSON.stringify(judgeModel)} is neither a rule judge (rule:length, rule:rps), a local folder, nor an S3 prefix holding ${PAIRWISE_MODEL_FILE} ` +
            `(s3://${store.bucket}/${prefix}${PAIRWISE_MODEL_FILE} does not exist). Train one with ./sppo judge-train and upload the folder, or set judge_model.`,
        );
      }
      dir = join(cacheDir, 'judges', ...prefix.split('/').filter((p) => p !== '' && p !== '..'));
      await downloadFolder(store, prefix, dir, { requireFile: marker, ifExists: 'reuse' });
    }
    try {
      return await loadPairwiseJudge(dir, options);
    } catch (e) {
      throw new PermanentJudgeError(`judge_model ${JSON.stringify(judgeModel)} cannot be loaded: ${(e as Error).message}`);
    }
  };
  const resolve = (spec: JudgeSpec): Promise<PairwiseJudge> => {
    const key = JSON.stringify(spec);
    let judge = cache.get(key);
    if (judge === undefined) {
      judge = load(spec);
      cache.set(key, judge);
      judge.catch(() => cache.delete(key)); // a failed load is retried by the next task
    }
    return judge;
  };
  const close = async (): Promise<void> => {
    const judges = [...cache.values()];
    cache.clear();
    for (const j of judges) await (await j.catch(() => undefined))?.close?.();
  };
  return Object.assign(resolve, { close });
}
