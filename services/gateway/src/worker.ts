// Cloudflare Workers entry: the same app as on Node, its settings from the Worker's bindings
// (vars SPPO_BUCKET, SPPO_REGION, SPPO_QUEUE_URL_*; secrets AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, SPPO_API_KEYS; see config.ts and infra/wrangler.jsonc).
import { createApp } from './app.ts';

const app = createApp();

// The module-worker shape: workerd calls fetch(request, env, ctx); Hono reads env as c.env.
export default { fetch: app.fetch };
