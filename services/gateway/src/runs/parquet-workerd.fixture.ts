// A Worker entry for parquet-workerd.test.ts (not deployed): answers the prompts of the Parquet
// file it is sent, or 400 with the reader's message, so the test runs the reader inside workerd.
import { readParquetPrompts } from './parquet.ts';

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      return Response.json(await readParquetPrompts(new Uint8Array(await request.arrayBuffer()), { subject: 'prompt file posted' }));
    } catch (error) {
      return new Response((error as Error).message, { status: 400 });
    }
  },
};
