"""PyTorch peer of bench/judge.ts: the official setting of SPPO's ranking step on CPU.

scripts/rank.py calls Blender.rank(..., batch_size=1); with a pairranker that runs
CrossCompareReranker._full_predict, one forward pass per ordered pair (i, j), i != j, each on the
pair's own tokens (cat_ids moves the padding to the end and _forward trims every all-padding
column, so a batch of one carries no padding), under torch.no_grad(), in PyTorch eager mode
(SPPO-REFERENCE 2.2 step 6, 3.4). This script does that for the same mini-PairRM the parent
benchmarks (same weights, same token ids), written for this benchmark from the formulas of
packages/model/src/pairwise/reference.ts: segment + token embeddings, pre-RMSNorm blocks with
rotate-half RoPE, bidirectional attention, SwiGLU MLP, final RMSNorm, the hidden states at the
three markers found with torch.where, then PairRM's head MLP([h_src; h_c1]) - MLP([h_src; h_c2]).
Like DebertaV2PairRM it runs the whole last layer and then picks the marker rows.

Protocol: one JSON object on stdin:
  {"config": {...mini-PairRM config.json...}, "weights": PATH (safetensors, F32),
   "rows": [[token ids of one pair], ...], "threads": N, "repeats": R, "device": "cpu" | "cuda"}
and one JSON object on stdout: {"ms": [R totals], "logits": [one per row]}. Exit status 3 (with a
line on stderr) when the device is not available.
"""
import json
import sys
import time

import torch

from torch_safetensors import read_safetensors

SEGMENTS = 4


class MiniPairRM(torch.nn.Module):
    def __init__(self, config, weights):
        super().__init__()
        self.c = config
        self.w = weights
        H = config['hidden_size']
        self.heads = config['num_attention_heads']
        self.hd = H // self.heads
        inv_freq = 1.0 / (config['rope_theta'] ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        self.register_buffer('inv_freq', inv_freq)

    def rms(self, x, name):
        eps = self.c['rms_norm_eps']
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * self.w[name]

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def forward(self, input_ids):
        w, c = self.w, self.c
        B, T = input_ids.shape
        segment = torch.clamp(torch.cumsum((input_ids == c['cls_token_id']).long(), dim=1), max=SEGMENTS - 1)
        x = w['model.embed_tokens.weight'][input_ids] + w['model.embed_segments.weight'][segment]
        freqs = torch.outer(torch.arange(T, dtype=torch.float32, device=input_ids.device), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        heads = lambda t: t.view(B, T, self.heads, self.hd).transpose(1, 2)
        for l in range(c['num_hidden_layers']):
            p = f'model.layers.{l}'
            h = self.rms(x, f'{p}.input_layernorm.weight')
            q = heads(h @ w[f'{p}.self_attn.q_proj.weight'].T)
            k = heads(h @ w[f'{p}.self_attn.k_proj.weight'].T)
            v = heads(h @ w[f'{p}.self_attn.v_proj.weight'].T)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            scores = (q @ k.transpose(2, 3)) / (self.hd ** 0.5)
            a = torch.softmax(scores, dim=-1) @ v
            x = x + a.transpose(1, 2).reshape(B, T, -1) @ w[f'{p}.self_attn.o_proj.weight'].T
            h2 = self.rms(x, f'{p}.post_attention_layernorm.weight')
            gate = h2 @ w[f'{p}.mlp.gate_proj.weight'].T
            up = h2 @ w[f'{p}.mlp.up_proj.weight'].T
            x = x + (torch.nn.functional.silu(gate) * up) @ w[f'{p}.mlp.down_proj.weight'].T
        enc = self.rms(x, 'model.norm.weight')
        at = lambda token: enc[torch.where(input_ids == token)]
        src, c1, c2 = at(c['source_prefix_id']), at(c['cand1_prefix_id']), at(c['cand2_prefix_id'])

        def head(a, b):
            hidden = torch.tanh(torch.cat((a, b), dim=-1) @ w['head_layer.1.weight'].T + w['head_layer.1.bias'])
            return hidden @ w['head_layer.4.weight'].T + w['head_layer.4.bias']

        return (head(src, c1) - head(src, c2)).mean(dim=-1)


def main():
    request = json.loads(sys.stdin.read())
    device = request.get('device', 'cpu')
    if device == 'cuda' and not torch.cuda.is_available():
        print(f'this PyTorch ({torch.__version__}) has no CUDA device', file=sys.stderr)
        sys.exit(3)
    torch.set_num_threads(int(request['threads']))
    weights = {name: t.to(device) for name, t in read_safetensors(request['weights']).items()}
    model = MiniPairRM(request['config'], weights).to(device).eval()
    rows = [torch.tensor([ids], dtype=torch.long, device=device) for ids in request['rows']]
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    logits = []
    totals = []
    with torch.no_grad():
        for ids in rows[:4]:
            model(ids)  # warm-up
        for _ in range(int(request['repeats'])):
            sync()
            start = time.perf_counter()
            out = [model(ids) for ids in rows]  # one pair per forward: batch_size=1
            sync()
            totals.append((time.perf_counter() - start) * 1000)
            logits = [float(o[0]) for o in out]
    json.dump({'ms': totals, 'logits': logits, 'torch': torch.__version__}, sys.stdout)


if __name__ == '__main__':
    main()
