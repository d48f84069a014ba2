// `./sppo sft --use_peft=true` and `./sppo train --use_peft=true` with TRL's lora_* option names:
// the checkpoint holds the merged weights and the PEFT adapter in adapter/; bad LoRA options are
// usage errors naming the field and its valid values.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bf16BitsToFloat, floatToBf16Bits } from '@sppo/autodiff';
import { mergeLora, readCheckpoint, readPeftAdapter, syntheticCorpus } from '@sppo/model';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { runInitModel } from './init-model.ts';
import { runSft } from './sft.ts';
import { captureOutput, createTinyModel } from './test-fixtures.ts';
import { runTrain } from './train.ts';

let dir: string;
let model: string;
let stderr: string[];

beforeAll(async () => {
  ({ dir, model } = await createTinyModel('sppo-lora-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stderr = captureOutput();
});

describe('use_peft on the command line', () => {
  it('sft: LoRA on all-linear; only the adapted projections change; adapter/ has the PEFT files', async () => {
    const rows = syntheticCorpus({ documents: 8, seed: 2 }).map((d, i) => ({ prompt: `Tell me fact ${i % 4}`, response: d.slice(0, 40) }));
    const data = join(dir, 'sft.jsonl');
    await writeFile(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = join(dir, 'sft-lora');
    const code = await runSft(['--model', model, '--data', data, '--out', out, '--preset=tiny', '--use_peft=true', '--lora_r=4', '--lora_alpha=16', '--lora_dropout=0.1', '--lora_target_modules=all-linear', '--per_device_train_batch_size=4']);
    expect(code).toBe(0);
    expect(stderr.join('')).toContain('LoRA r 4 alpha 16 on all-linear');
    const trained = await readCheckpoint(out, { verifyHashes: true });
    const base = await readCheckpoint(model);
    for (const [name, w] of base.weights) {
      if (/_proj\.weight$/.test(name)) expect(trained.weights.get(name), name).not.toEqual(w);
      else expect(trained.weights.get(name), name).toEqual(w);
    }
    const config = JSON.parse(await readFile(join(out, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 16, lora_dropout: 0.1, base_model_name_or_path: model });
    expect(trained.trainingArgs).toMatchObject({ use_peft: true, lora_r: 4, lora_target_modules: ['all-linear'] });
  });

  it('train: default targets q_proj,v_proj; a bad module name is a usage error listing the valid ones', async () => {
    const triplets = join(dir, 'triplets.jsonl');
    const msg = (prompt: string, content: string) => [
      { role: 'user', content: prompt },
      { role: 'assistant', content },
    ];
    const rows = Array.from({ length: 4 }, (_, i) => ({ prompt_id: `p${i}`, prompt: `Q${i}`, chosen: msg(`Q${i}`, 'a fine answer'), rejected: msg(`Q${i}`, 'no'), chosen_probs: 0.7, chosen_probs_win: 0.65, chosen_probs_lose: 0.35 }));
    await writeFile(triplets, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = join(dir, 'train-lora');
    expect(await runTrain(['--model', model, '--triplets', triplets, '--out', out, '--preset=tiny', '--use_peft=true', '--per_device_train_batch_size=2'])).toBe(0);
    const config = JSON.parse(await readFile(join(out, 'adapter', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'] });
    const err = await runTrain(['--model', model, '--triplets', triplets, '--out', join(dir, 'bad'), '--use_peft=true', '--lora_target_modules=qproj']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/lora_target_modules/);
    expect((err as Error).message).toMatch(/q_proj/);
  });

  it('sft on a bf16 checkpoint: the base is held as bf16; the checkpoint is pi_t + adapter, stored in bf16', async () => {
    const bf16 = join(dir, 'tiny-bf16');
    const config = JSON.parse(await readFile(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'bf16-config.json'), JSON.stringify({ ...config, torch_dtype: 'bfloat16' }));
    expect(await runInitModel(['--config', join(dir, 'bf16-config.json'), '--tokenizer', model, '--out', bf16, '--seed=3'])).toBe(0);
    const rows = syntheticCorpus({ documents: 4, seed: 4 }).map((d, i) => ({ prompt: `Fact ${i}`, response: d.slice(0, 30) }));
    const data = join(dir, 'sft-bf16.jsonl');
    await writeFile(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = join(dir, 'sft-bf16-lora');
    expect(await runSft(['--model', bf16, '--data', data, '--out', out, '--preset=tiny', '--use_peft=true', '--lora_dropout=0', '--learning_rate=0.05', '--per_device_train_batch_size=4'])).toBe(0);
    expect(stderr.join('')).toContain('(bf16 base)');
    const base = await readCheckpoint(bf16);
    const trained = await readCheckpoint(out);
    const adapter = readPeftAdapter(base.config, { config: await readFile(join(out, 'adapter', 'adapter_config.json'), 'utf8'), weights: new Uint8Array(await readFile(join(out, 'adapter', 'adapter_model.safetensors'))) });
    const merged = mergeLora(base.config, base.weights, adapter.spec, adapter.weights);
    for (const [name, w] of merged) expect(trained.weights.get(name), name).toEqual(bf16BitsToFloat(floatToBf16Bits(w)));
  });
});
