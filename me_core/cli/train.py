"""``python -m me_core train``: train one model with the paper's protocol; resumes a killed run."""

from __future__ import annotations

import argparse

from me_core.cli.common import (
    add_command,
    add_training_flags,
    data_settings,
    encoding_line,
    fail,
    run_settings,
)


def add_to(commands) -> None:
    from me_core.catalog import DATASETS, MODEL_NAMES
    from me_core.settings import PAPER, PAPER_OPTIMIZER

    tr = add_command(
        commands, "train", help="train one model with the paper's protocol",
        description="Train one model (single- or multi-embedding) with the paper's protocol: "
                    f"Adam lr {PAPER_OPTIMIZER['lr']:g}, wd {PAPER_OPTIMIZER['weight_decay']:g}, "
                    f"batch {PAPER['batch_size']}, early stopping on validation AUC "
                    f"(patience {PAPER['patience']}), test metrics of the best epoch. "
                    "Checkpoints at every epoch end; rerunning the same command resumes a "
                    "killed run, or reuses a finished one.",
        examples=["python -m me_core train --model dcnv2 --scale 4 --me --protocol quick",
                  "python -m me_core train --dataset criteo --data-path /data/criteo/train.txt "
                  "--device cuda"],
    )
    tr.add_argument("--model", default="dcnv2", metavar="MODEL",
                    help=f"one of: {', '.join(MODEL_NAMES)} (default: dcnv2)")
    tr.add_argument("--dataset", default="synthetic", metavar="DATASET",
                    help=f"one of: {', '.join(DATASETS)} (default: synthetic)")
    tr.add_argument("--scale", type=int, default=1,
                    help="embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)")
    tr.add_argument("--me", action="store_true",
                    help="multi-embedding: SCALE sets of the base size instead of one wide set")
    tr.add_argument("--seed", type=int, default=0, help="initialisation, dropout, batch order")
    tr.add_argument("--split-seed", type=int, default=0, help="the 8:1:1 split (paper: 0)")
    tr.add_argument("--fraction", type=float, default=1.0,
                    help="share of the training split to use (Table 2)")
    add_training_flags(tr)
    tr.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from me_core.data import DataError
    from me_core.files import keyed_lock
    from me_core.train import ConfigError, RunConfig, TrainingError, train
    from me_core.train.trainer import check_outputs

    try:
        config = RunConfig(model=args.model, dataset=args.dataset, scale=args.scale,
                           multi_embedding=args.me, seed=args.seed, split_seed=args.split_seed,
                           fraction=args.fraction, **data_settings(args, args.dataset),
                           **run_settings(args))
        run_dir = args.run_root / config.key()
        check_outputs(run_dir, args.records)  # before the lock creates the run root
        data = config.open_data(cache_dir=args.cache_dir)
        if config.dataset == "table":  # say how the table is encoded before training on it
            print(f"table encoding ({data.path.name}): {encoding_line(data.feature_map)}")
        with torch.device("meta"):  # the model's options checked before the run folder exists
            config.build_model(data.feature_map.field_dims)
        # the lock a sweep takes: two identical train commands wait for each other instead of
        # training into one folder; the second finds the run finished and reuses its record
        with keyed_lock(args.run_root, config.key()):
            result = train(config, run_dir=run_dir, records=args.records,
                           progress=not args.quiet, threads=args.threads,
                           cache_dir=args.cache_dir, data=data)
    except (ConfigError, DataError, TrainingError, ValueError, OSError) as exc:
        return fail("train", exc)
    record = result.record
    how = ("already finished: reused its record" if result.reused else
           f"resumed after epoch {result.resumed_from_epoch}" if result.resumed_from_epoch
           else "trained")
    print(f"{config.label()} ({how}): test AUC {record['test']['auc']:.5f}, logloss "
          f"{record['test']['logloss']:.5f}, best epoch {record['best_epoch']} of "
          f"{len(record['history'])}, {record['train_seconds']:.1f} s")
    where = ("record appended to" if result.appended else "record was already in")
    print(f"run folder: {run_dir}; {where} {args.records}")
    return 0
