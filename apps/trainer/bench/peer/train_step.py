#!/usr/bin/env python3
"""PyTorch peer of `npm run bench:train`: one training step of the same localisers (forward,
θ regression loss, backward, Adam) at B = 8, in milliseconds per image.

    /usr/bin/python3 bench/peer/train_step.py [--json] [--only vgg-tiny@112,vgg16@224]
        [--batch 8] [--runs 5] [--threads N]

Same layouts as @3dmm-stn/localiser's BACKBONES: 3x3 'same' convolutions + ReLU, a 2x2/2 max-pool
after each block, flatten, fc6 and fc7 (Linear + ReLU + dropout 0.5), the θ head (6 + D = 16
outputs). Mean squared error to a random target, Adam (lr 1e-4). 2 warm-up steps, then the median
(min, max) of --runs. Never run by the tests; see README.md here for installing PyTorch.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

BACKBONES = {
    "vgg16": ([[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]], [4096, 4096]),
    "vgg-small": ([[16, 16], [32, 32], [64, 64, 64], [128, 128, 128], [128, 128, 128]], [1024, 1024]),
    "vgg-tiny": ([[16], [32], [64], [128], [128]], [256, 256]),
}
ARCHS = ["vgg-tiny@112", "vgg-small@112", "vgg16@224"]
THETA = 16  # 6 + D, D = 10 (the bench's grid: 5 shape + 5 expression modes)


def build(torch, backbone, size):
    nn = torch.nn
    blocks, fc = BACKBONES[backbone]
    layers, cin = [], 3
    for block in blocks:
        for cout in block:
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
            cin = cout
        layers.append(nn.MaxPool2d(2, 2))
    side = size // 32
    layers.append(nn.Flatten())
    fin = cin * side * side
    for f in fc:
        layers += [nn.Linear(fin, f), nn.ReLU(inplace=True), nn.Dropout(0.5)]
        fin = f
    layers.append(nn.Linear(fin, THETA))
    return nn.Sequential(*layers)


def time_arch(torch, arch, batch, runs):
    backbone, size = arch.split("@")
    size = int(size)
    torch.manual_seed(1)
    model = build(torch, backbone, size)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, size, size) * 255 - 128
    target = torch.randn(batch, THETA)
    times = []
    for i in range(runs + 2):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((model(x) - target) ** 2)
        loss.backward()
        opt.step()
        loss.item()
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    return {
        "arch": arch,
        "msPerImage": med / batch,
        "stepMs": {"median": med, "min": min(times), "max": max(times)},
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--json", action="store_true")
    p.add_argument("--only", default=",".join(ARCHS))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is not installed: sudo apt-get install python3-torch (see bench/peer/README.md)")
    torch.set_num_threads(a.threads)
    load_before = os.getloadavg()
    results = []
    for arch in a.only.split(","):
        try:
            results.append(time_arch(torch, arch, a.batch, max(3, a.runs)))
        except RuntimeError as e:  # e.g. out of memory
            results.append({"arch": arch, "error": str(e)})
    load_after = os.getloadavg()
    if a.json:
        # One line per architecture (the TypeScript bench reads the last JSON line).
        for r in results:
            r["loadBefore"], r["loadAfter"] = load_before, load_after
            print(json.dumps(r))
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; load before {load_before}, after {load_after}")
    print("| arch @ input, B | step ms median (min-max) | ms/image | params |")
    print("|---|---|---|---|")
    for r in results:
        if "error" in r:
            print(f"| {r['arch']}, {a.batch} | failed: {r['error']} | | |")
            continue
        s = r["stepMs"]
        print(f"| {r['arch']}, {a.batch} | {s['median']:.1f} ({s['min']:.1f}-{s['max']:.1f}) | {r['msPerImage']:.1f} | {r['params']:,} |")


if __name__ == "__main__":
    main()
