"""Reads the float32 safetensors files the benchmarks write for their PyTorch peers."""
import json
import struct

import torch


def read_safetensors(path):
    """{name: float32 tensor} of a safetensors file whose tensors are all F32."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ValueError(f'{name}: only F32 tensors are expected, got {entry["dtype"]}')
        start, end = entry['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=torch.float32).reshape(entry['shape'])
    return out
