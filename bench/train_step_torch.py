"""PyTorch peer of bench/train-step.ts: the same Llama, SFT loss, clipping and AdamW on CPU.

Written for this benchmark (HF modeling_llama.py maths, eager attention as HF runs it on torch
1.13, which has no scaled_dot_product_attention): RMSNorm, rotate-half RoPE, grouped-query
attention via repeat_kv, SwiGLU MLP, tied or untied head. Weights come from a safetensors file the
parent wrote, so both sides start from the same numbers.

Protocol: one JSON object per line on stdin, one JSON reply per line on stdout.
  {"cmd": "init", "config": {...HF config...}, "weights": PATH, "batch": {input_ids, attention_mask,
   response_mask: [[...]]}, "lr", "weight_decay", "max_grad_norm", "threads"}
  {"cmd": "steps", "n": N}    -> {"ms": [...], "loss": [...]}   fused step: fwd + bwd + clip + AdamW
  {"cmd": "forward", "n": N}  -> {"ms": [...], "logps": [...]}  summed response log-probs, no grad
  {"cmd": "exit"}
Every reply carries "maxrss_mb" (ru_maxrss of this process) and "rss_mb" (current).
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

from torch_safetensors import read_safetensors


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c['num_attention_heads']
        self.kv_heads = c['num_key_value_heads']
        self.head_dim = c.get('head_dim') or c['hidden_size'] // self.heads
        bias = c.get('attention_bias', False)
        h = c['hidden_size']
        self.q_proj = nn.Linear(h, self.heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(self.heads * self.head_dim, h, bias=bias)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv_heads
        if rep > 1:  # HF repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
            k = k[:, :, None].expand(b, self.kv_heads, rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
            v = v[:, :, None].expand(b, self.kv_heads, rep, t, self.head_dim).reshape(b, self.heads, t, self.head_dim)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + mask
        probs = F.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        return self.o_proj(out)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c['hidden_size'], c['intermediate_size']
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Backbone(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c['vocab_size'], c['hidden_size'])
        self.layers = nn.ModuleList([Layer(c) for _ in range(c['num_hidden_layers'])])
        self.norm = RMSNorm(c['hidden_size'], c['rms_norm_eps'])


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.model = Backbone(c)
        self.tied = c.get('tie_word_embeddings', False)
        if not self.tied:
            self.lm_head = nn.Linear(c['hidden_size'], c['vocab_size'], bias=False)
        head_dim = c.get('head_dim') or c['hidden_size'] // c['num_attention_heads']
        self.inv_freq = 1.0 / (c['rope_theta'] ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))

    def forward(self, input_ids, attention_mask):
        b, t = input_ids.shape
        # Position ids as the ONNX graph derives them: cumsum(mask) - 1, padding set to 1.
        pos = (attention_mask.cumsum(1) - 1).masked_fill(attention_mask == 0, 1).to(torch.float32)
        freqs = pos[:, :, None] * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)[:, None]  # [B, 1, T, hd]
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        allowed = causal[None, None] & (attention_mask[:, None, None, :] == 1)
        mask = torch.zeros(b, 1, t, t).masked_fill(~allowed, -1e9)
        x = self.model.embed_tokens(input_ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        x = self.model.norm(x)
        head = self.model.embed_tokens.weight if self.tied else self.lm_head.weight
        return F.linear(x, head)


def token_logps(model, batch):
    """Per-token log p(x_t | x_<t) for t >= 1, and the response mask of those positions."""
    logits = model(batch['input_ids'], batch['attention_mask'])
    logp = F.log_softmax(logits[:, :-1], dim=-1)
    picked = logp.gather(2, batch['input_ids'][:, 1:, None]).squeeze(2)
    return picked, batch['response_mask'][:, 1:].to(torch.float32)


def sft_loss(model, batch):
    """Mean negative log-likelihood over every response token of the batch (as the ONNX sftLoss)."""
    picked, mask = token_logps(model, batch)
    return -(picked * mask).sum() / mask.sum().clamp(min=1)


def main():
    state = {}
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg['cmd']
        reply = {}
        if cmd == 'init':
            torch.set_num_threads(msg['threads'])
            c = msg['config']
            model = Llama(c)
            weights = read_safetensors(msg['weights'])
            missing, unexpected = model.load_state_dict(weights, strict=False)
            if missing or unexpected:
                raise ValueError(f'weights do not match the model: missing {missing}, unexpected {unexpected}')
            del weights
            batch = {k: torch.tensor(v, dtype=torch.int64) for k, v in msg['batch'].items()}
            opt = torch.optim.AdamW(model.parameters(), lr=msg['lr'], weight_decay=msg['weight_decay'], foreach=False)
            state.update(model=model, batch=batch, opt=opt, clip=msg['max_grad_norm'])
        elif cmd == 'steps':
            model, batch, opt = state['model'], state['batch'], state['opt']
            ms, losses = [], []
            for _ in range(msg['n']):
                t0 = time.perf_counter()
                loss = sft_loss(model, batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), state['clip'])
                opt.step()
                opt.zero_grad(set_to_none=True)
                ms.append((time.perf_counter() - t0) * 1000)
                losses.append(loss.item())
            reply = {'ms': ms, 'loss': losses}
        elif cmd == 'forward':
            model, batch = state['model'], state['batch']
            ms, logps = [], []
            with torch.no_grad():
                for _ in range(msg['n']):
                    t0 = time.perf_counter()
                    picked, mask = token_logps(model, batch)
                    logps = (picked * mask).sum(1).tolist()
                    ms.append((time.perf_counter() - t0) * 1000)
            reply = {'ms': ms, 'logps': logps}
        elif cmd == 'exit':
            break
        else:
            raise ValueError(f'unknown command {cmd!r}; expected init, steps, forward or exit')
        reply.update(maxrss_mb=maxrss_mb(), rss_mb=rss_mb())
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
