// Cloudflare Workers entry: the same app as on Node.
import { createApp } from './app.ts';

export default createApp();
