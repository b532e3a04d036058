#!/usr/bin/env python3
"""Every GPU measurement of tcp_nb in one run of at most 8 minutes, written as one JSON-lines file.

    python tools/gpu_check.py --out runs/gpu_check.jsonl            # on a CUDA GPU (bf16): 7-8 minutes
    python tools/gpu_check.py --dry-run --out /tmp/gpu_check.jsonl  # on CPU, tiny sizes: checks the script itself

Lines, in order (each has "check"; a check that fails records "error" and the next one runs):
  machine                      torch version, device name, memory, git commit
  model_eager, model_compiled  tcp-bench model at paper256: encode+swap ms at batch 1 and 16, peak GiB
  train_eager, train_compiled  tcp-bench train at paper256, batch 16: images/s beside the official 5.94 images/s
                               (ratio_to_official), peak GiB, TFLOP/s
  tiny_training                a short training of the tiny preset at 64 px: images/s of the whole loop
  summary                      seconds used, checks skipped for lack of time
Each check bounds its own time; a check is skipped when the remaining budget is below its share.
"""
from __future__ import annotations
import argparse, json, subprocess, sys, tempfile, time, traceback
from pathlib import Path

OFFICIAL_IMAGES_PER_S = 5.94   # the official Swapping Autoencoder at paper256, batch 16, on one H200 (D + G step per image)

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='gpu_check', description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='runs/gpu_check.jsonl', help='the JSON-lines file to write')
    parser.add_argument('--dry-run', action='store_true', help='CPU, tiny sizes, seconds: test the script itself')
    parser.add_argument('--budget', type=float, default=None, help='total seconds (default 420; dry run 60)')
    args = parser.parse_args(argv)
    import torch
    from tcp_nb.config import get_config
    from tcp_nb.core import json_safe
    from tcp_nb.model import benchmark_model
    from tcp_nb.train import benchmark_train, train
    dry = args.dry_run
    if not dry and not torch.cuda.is_available():
        sys.exit('gpu_check: no CUDA GPU here; use --dry-run to test the script on CPU')
    device = 'cpu' if dry else 'cuda'
    budget = args.budget or (60.0 if dry else 420.0)
    micro = ['model.size=32', 'model.style_channels=64', 'model.encoder_capacity=0.25', 'model.generator_capacity=0.125',
             'model.discriminator_max_channels=32', 'model.patch_mlp_channels=32', 'model.patch_max_channels=16',
             'model.patch_size=8', 'train.batch_size=4', 'data.eval_pairs=4']
    big = get_config('tiny', micro) if dry else get_config('paper256', ['train.batch_size=16'])
    start = time.perf_counter()
    out = Path(args.out); out.parent.mkdir(parents=True, exist_ok=True)
    skipped = []
    with out.open('w') as handle:
        def write(record: dict) -> None:
            handle.write(json.dumps(json_safe(record)) + '\n'); handle.flush()
            print(json.dumps(json_safe(record)), flush=True)

        def run(name: str, share: float, measure) -> None:
            "Run one check with `share` seconds of its own, if the budget still holds them."
            left = budget - (time.perf_counter() - start)
            if left < share * 0.5:
                skipped.append(name); write({'check': name, 'skipped': f'{left:.0f} s left of the budget'}); return
            began = time.perf_counter()
            try:
                if device == 'cuda': torch.cuda.reset_peak_memory_stats()
                record = measure(min(share, left))
                if device == 'cuda': record['peak_mem_gib'] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
            except Exception as error:   # one failing check must not lose the others
                record = {'error': f'{type(error).__name__}: {error}', 'traceback': traceback.format_exc(limit=3)}
            write({'check': name, 'wall_s': round(time.perf_counter() - began, 1), **record})

        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True, text=True, cwd=Path(__file__).parent)
        write({'check': 'machine', 'dry_run': dry, 'torch': torch.__version__, 'device': device,
               'device_name': torch.cuda.get_device_name() if device == 'cuda' else 'cpu',
               'memory_gib': round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if device == 'cuda' else None,
               'commit': commit.stdout.strip() or None, 'budget_s': budget})

        def model(compiled: bool):
            def measure(seconds: float) -> dict:
                return benchmark_model(big.model, device, batch_sizes=(1, 16), compile=compiled, seconds=seconds * 0.8)
            return measure

        def training(compiled: bool):
            def measure(seconds: float) -> dict:
                config = get_config(big.name if not dry else 'tiny', [*(micro if dry else ['train.batch_size=16']),
                                    f'train.device={device}', f'train.compile={str(compiled).lower()}'], 'tcp')
                result = benchmark_train(config, seconds=seconds * 0.6)
                ratio = None if dry else round(result['images_per_s'] / OFFICIAL_IMAGES_PER_S, 3)   # micro sizes: no ratio
                return {**result, 'official_images_per_s': OFFICIAL_IMAGES_PER_S, 'ratio_to_official': ratio}
            return measure

        def tiny_training(seconds: float) -> dict:
            with tempfile.TemporaryDirectory() as folder:
                config = get_config('tiny', [*tiny_overrides, f'train.device={device}'], 'tcp')
                began = time.perf_counter()
                result = train(config, folder, max_seconds=seconds * 0.7, progress=False)
                elapsed = time.perf_counter() - began
            return {'preset': 'tiny', 'size': config.model.size, 'batch_size': config.train.batch_size,
                    'images': result.images, 'images_per_s': round(result.images / elapsed, 1)}

        tiny_overrides = [*(micro if dry else []), 'train.eval_every=100000000', 'train.sample_every=100000000',
                          'train.checkpoint_every=100000000']
        shares = {'model_eager': 0.12, 'model_compiled': 0.2, 'train_eager': 0.18, 'train_compiled': 0.3, 'tiny_training': 0.15}
        run('model_eager', budget * shares['model_eager'], model(False))
        if dry: skipped.append('model_compiled')      # torch.compile on CPU takes minutes: GPU only
        else: run('model_compiled', budget * shares['model_compiled'], model(True))
        run('train_eager', budget * shares['train_eager'], training(False))
        if dry: skipped.append('train_compiled')
        else: run('train_compiled', budget * shares['train_compiled'], training(True))
        run('tiny_training', budget * shares['tiny_training'], tiny_training)
        write({'check': 'summary', 'seconds': round(time.perf_counter() - start, 1), 'skipped': skipped})
    return 0

if __name__ == '__main__':
    sys.exit(main())
