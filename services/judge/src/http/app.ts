/**
 * The judge as an HTTP service (Hono; served on Node by @hono/node-server), for using a pairwise
 * judge outside a run: evaluation, best-of-n, or as the reward model of another trainer.
 *
 *   GET  /v1/models    the judge served
 *   POST /v1/compare   { pairs: [{ prompt, response_a, response_b }] }
 *                      -> per pair both orders' logits and P(a beats b) = sigmoid(C[a][b] - C[b][a]),
 *                         the position-debiased probability of PairRM's `compare` (SPPO-REFERENCE 3.4)
 *   POST /v1/rank      { items: [{ prompt, responses: [K >= 2] }], score_aggregation?, win_rate_estimator? }
 *                      -> per item the comparison matrix C (every ordered pair, as the judge
 *                         service builds it), PairRM's aggregate scores and ranks (1 = best), and
 *                         the SPPO win rates of packages/core with the run config's options
 *
 * All comparisons of a request go to the judge in one call, so they share its batches. Errors are
 * `{ error: { message, type, param, code } }` like the generator's OpenAI-compatible API: 400 with
 * the field at fault and its valid values, 404 for another model, 500 for the judge's own failures.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { aggregateScores, preferenceMatrix, SCORE_AGGREGATIONS, sigmoid, WIN_RATE_ESTIMATORS, winRates } from '@sppo/core';
import { compareAllPairs, type PairwiseJudge } from '@sppo/model';

export interface JudgeAppOptions {
  judge: PairwiseJudge;
  /** The id clients may send as `model` (default: the judge's name). */
  modelName?: string;
  /** Largest number of comparisons one request may ask for (default 65536). */
  maxComparisons?: number;
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class JudgeHttpError extends Error {
  override name = 'JudgeHttpError';
  readonly status: 400 | 404 | 500;
  readonly body: ErrorBody;
  constructor(status: 400 | 404 | 500, message: string, { param = null, code = null }: { param?: string | null; code?: string | null } = {}) {
    super(message);
    this.status = status;
    this.body = { error: { message, type: status === 500 ? 'server_error' : 'invalid_request_error', param, code } };
  }
}

const text = z.string({ error: 'must be a string' });
const compareRequestSchema = z.object({
  model: z.string().min(1).optional(),
  pairs: z.array(z.object({ prompt: text, response_a: text, response_b: text }), { error: 'must be a list of {prompt, response_a, response_b}' }).min(1),
});
const rankRequestSchema = z.object({
  model: z.string().min(1).optional(),
  items: z
    .array(z.object({ prompt: text, responses: z.array(text, { error: 'must be a list of strings' }).min(2, { error: 'needs K >= 2 responses to compare' }) }), {
      error: 'must be a list of {prompt, responses}',
    })
    .min(1),
  score_aggregation: z.enum(SCORE_AGGREGATIONS, { error: `must be one of ${SCORE_AGGREGATIONS.join(', ')}` }).default('official'),
  win_rate_estimator: z.enum(WIN_RATE_ESTIMATORS, { error: `must be one of ${WIN_RATE_ESTIMATORS.join(', ')}` }).default('include_self'),
});

async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new JudgeHttpError(400, 'The body is not JSON: send a JSON object with Content-Type: application/json.', { code: 'invalid_json' });
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const where = (path: readonly PropertyKey[]): string => (path.length === 0 ? 'body' : path.map(String).join('.'));
    const first = result.error.issues[0];
    throw new JudgeHttpError(400, `Invalid request: ${result.error.issues.map((i) => `${where(i.path)}: ${i.message}`).join('; ')}`, {
      param: first && first.path.length > 0 ? where(first.path) : null,
      code: 'invalid_value',
    });
  }
  return result.data;
}

/** 1-based ranks, 1 for the highest score; ties share the better rank. */
function ranksOf(scores: readonly number[]): number[] {
  return scores.map((s) => 1 + scores.filter((t) => t > s).length);
}

export function createJudgeApp({ judge, modelName = judge.name, maxComparisons = 65_536 }: JudgeAppOptions): Hono {
  const app = new Hono();
  const checkModel = (model: string | undefined): void => {
    if (model !== undefined && model !== modelName) {
      throw new JudgeHttpError(404, `The model \`${model}\` does not exist. This server serves: ${modelName}.`, { param: 'model', code: 'model_not_found' });
    }
  };
  const checkSize = (comparisons: number, field: string): void => {
    if (comparisons > maxComparisons) {
      throw new JudgeHttpError(400, `This request asks for ${comparisons} comparisons; the limit is ${maxComparisons}: send fewer ${field} per request.`, { param: field, code: 'too_many_comparisons' });
    }
  };

  app.get('/v1/models', (c) => c.json({ object: 'list', data: [{ id: modelName, object: 'model', owned_by: 'sppo' }] }));

  app.post('/v1/compare', async (c) => {
    const req = await parseBody(c, compareRequestSchema);
    checkModel(req.model);
    checkSize(2 * req.pairs.length, 'pairs');
    // Both orders of every pair in one call: [a, b] then [b, a].
    const logits = await judge.compare(
      req.pairs.flatMap((p) => [
        { prompt: p.prompt, candidate1: p.response_a, candidate2: p.response_b },
        { prompt: p.prompt, candidate1: p.response_b, candidate2: p.response_a },
      ]),
    );
    return c.json({
      object: 'list',
      model: modelName,
      data: req.pairs.map((_, index) => {
        const ab = logits[2 * index] as number;
        const ba = logits[2 * index + 1] as number;
        const probability = sigmoid(ab - ba);
        return { index, logit_ab: ab, logit_ba: ba, probability_a: probability, winner: probability >= 0.5 ? 'a' : 'b' };
      }),
    });
  });

  app.post('/v1/rank', async (c) => {
    const req = await parseBody(c, rankRequestSchema);
    checkModel(req.model);
    checkSize(
      req.items.reduce((n, item) => n + item.responses.length * (item.responses.length - 1), 0),
      'items',
    );
    const matrices = await compareAllPairs(judge, req.items);
    return c.json({
      object: 'list',
      model: modelName,
      score_aggregation: req.score_aggregation,
      win_rate_estimator: req.win_rate_estimator,
      data: matrices.map((comparisons, index) => {
        const scores = aggregateScores(comparisons);
        return { index, scores, ranks: ranksOf(scores), win_rates: winRates(preferenceMatrix(comparisons, req.score_aggregation), req.win_rate_estimator), comparisons };
      }),
    });
  });

  app.notFound((c) => {
    const e = new JudgeHttpError(404, `Unknown endpoint ${c.req.method} ${c.req.path}: this server has GET /v1/models, POST /v1/compare and POST /v1/rank.`, { code: 'unknown_url' });
    return c.json(e.body, e.status);
  });
  app.onError((error, c) => {
    const e =
      error instanceof JudgeHttpError
        ? error
        : new JudgeHttpError(500, `The judge failed on this request: ${error instanceof Error ? error.message : String(error)}`, { code: 'internal_error' });
    return c.json(e.body, e.status);
  });
  return app;
}
