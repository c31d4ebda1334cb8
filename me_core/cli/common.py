"""What several commands share: the one-line error, KEY=VALUE flags, the training and data
flags and how they become RunConfig settings."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from me_core.catalog import with_default_teacher

__all__ = ["add_command", "fail", "key_values", "model_options", "synthetic_options",
           "run_settings", "data_settings", "encoding_line", "add_training_flags"]


def add_command(commands, name: str, *, help: str, description: str,
                examples: list[str]) -> argparse.ArgumentParser:
    """A subcommand's parser with its one-line help, description and an ``examples:`` epilog."""
    return commands.add_parser(
        name, help=help, description=description,
        epilog="examples:\n" + "".join(f"  {example}\n" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter)


# the parsed command line being run (set by me_core.cli.main): fail() names the flag whose
# path an operating-system error is about
_ARGS: dict[str, object] = {}


def remember_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Keep ``args`` with each destination's flag, for :func:`fail`."""
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    command = sub.choices.get(getattr(args, "command", ""), parser) if sub else parser
    flags = {a.dest: max(a.option_strings, key=len) for a in command._actions
             if a.option_strings}
    _ARGS.clear()
    _ARGS.update({flags.get(k, k): v for k, v in vars(args).items()})


def _flag_of(error: OSError) -> str:
    """The flag whose path ``error`` names (the path or one of its folders), or ''."""
    named = [Path(f) for f in (error.filename, error.filename2) if f]
    for flag, value in _ARGS.items():
        values = value if isinstance(value, list) else [value]
        for path in (Path(v) for v in values if isinstance(v, (str, Path)) and str(v)):
            if any(n == path or n in path.parents or path in n.parents for n in named):
                return flag
    return ""


def fail(command: str, message: object) -> int:
    """Print ``me_core COMMAND: error: MESSAGE`` (one line) and return exit status 2. An
    operating-system error gets the flag whose path it is about and its reason in words."""
    if isinstance(message, OSError) and message.filename:
        flag = _flag_of(message)
        reason = message.strerror or type(message).__name__
        where = f"{flag}: " if flag and flag not in str(message) else ""
        message = f"{where}{message.filename}: {reason.lower()}"
    text = " ".join(str(message).split("\n"))
    print(f"me_core {command}: error: {text}", file=sys.stderr)
    return 2


def output_file_problem(flag: str, path: Path | None, makes_folders: bool = False) -> str | None:
    """Why ``path`` cannot be written as a file (naming ``flag``), or None when it can: checked
    before any work, so a bad output path never costs a run. ``makes_folders``: the command
    creates missing parent folders."""
    if path is None:
        return None
    if str(path) in ("", ".") or path.is_dir():
        return f"{flag}: {str(path)!r} is a folder; give a file name"
    existing = next(p for p in path.parents if p.exists() or p == Path(p.anchor or "."))
    if existing.exists() and not existing.is_dir():
        return f"{flag}: {existing} is a file, not a folder"
    if not makes_folders and existing != path.parent:
        return f"{flag}: the folder {path.parent} does not exist"
    if path.exists() and not os.access(path, os.W_OK) or \
            existing.exists() and not os.access(existing, os.W_OK):
        return f"{flag}: {path} is not writable"
    return None


def key_values(pairs: list[str] | None, flag: str) -> dict:
    """KEY=VALUE pairs of a repeatable flag, VALUE read as YAML; a bad pair names the flag."""
    import yaml

    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} takes KEY=VALUE, got {pair!r}")
        try:
            options[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ValueError(f"{flag} {pair!r}: {value!r} is not a YAML value ({problem}; "
                             f"quote it, or close its brackets)") from None
    return options


def model_options(pairs: list[str] | None) -> dict:
    return key_values(pairs, "--option")


def synthetic_options(args: argparse.Namespace) -> dict:
    options = {}
    rows = getattr(args, "rows", None)
    if rows is None and getattr(args, "protocol", None) is not None:
        from me_core.data.synthetic import SyntheticConfig
        from me_core.settings import PROTOCOLS

        rows = PROTOCOLS[args.protocol]["rows"]
        rows = None if rows == SyntheticConfig.rows else rows  # the default stays out of keys
    if rows is not None:
        options["rows"] = rows
    if getattr(args, "data_seed", None) is not None:
        options["seed"] = args.data_seed
    return options


def run_settings(args: argparse.Namespace) -> dict:
    """RunConfig fields from the shared training flags (only those given; ``--protocol`` fills
    epochs, patience, batch and precision that no flag sets)."""
    pairs = {"max_epochs": args.epochs, "patience": args.patience, "batch_size": args.batch_size,
             "lr": args.lr, "weight_decay": args.weight_decay, "device": args.device,
             "precision": args.precision or ("bf16" if args.amp else None)}
    settings = {k: v for k, v in pairs.items() if v is not None}
    if args.protocol is not None:
        from me_core.settings import protocol_settings

        chosen = protocol_settings(args.protocol)
        for name in ("max_epochs", "patience", "batch_size", "precision"):
            settings.setdefault(name, chosen[name])
    if args.no_shuffle:
        settings["shuffle"] = False
    if args.option:
        settings["model_options"] = model_options(args.option)
    return settings


def data_settings(args: argparse.Namespace, dataset: str) -> dict:
    out: dict = {}
    if args.data_path is not None:
        out["data_path"] = str(args.data_path)
    options = synthetic_options(args) if dataset == "synthetic" else {}
    options.update(key_values(getattr(args, "data_option", None), "--data-option"))
    options = with_default_teacher(dataset, options)
    if options:
        out["data_options"] = options
    return out


def encoding_line(fmap) -> str:
    kinds = fmap.field_kinds()
    groups: dict[str, list[str]] = {}
    for name, kind in zip(fmap.field_names, kinds):
        groups.setdefault(kind, []).append(name)
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in groups.items())


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("protocol (defaults: the paper's)")
    from me_core.catalog import PRECISIONS, PROTOCOL_NAMES
    from me_core.settings import PAPER, PAPER_OPTIMIZER

    group.add_argument("--protocol", choices=PROTOCOL_NAMES, default=None,
                       help="take epochs, patience, batch, precision and synthetic rows from "
                            "this protocol of me_core.settings (quick: the book's); flags "
                            "given override it")
    group.add_argument("--epochs", type=int, default=None,
                       help=f"at most this many epochs ({PAPER['max_epochs']})")
    group.add_argument("--patience", type=int, default=None,
                       help=f"early stopping: epochs without a better validation AUC "
                            f"({PAPER['patience']})")
    group.add_argument("--batch-size", type=int, default=None,
                       help=f"training batch ({PAPER['batch_size']})")
    group.add_argument("--lr", type=float, default=None,
                       help=f"Adam learning rate ({PAPER_OPTIMIZER['lr']:g})")
    group.add_argument("--weight-decay", type=float, default=None,
                       help=f"coupled L2 ({PAPER_OPTIMIZER['weight_decay']:g})")
    group.add_argument("--no-shuffle", action="store_true",
                       help="same batch order every epoch, as the official loader")
    group.add_argument("--option", action="append", metavar="KEY=VALUE",
                       help="model option, e.g. --option regularizer=paper (repeatable)")
    where = parser.add_argument_group("data and machine")
    where.add_argument("--data-path", type=Path, default=None,
                       help="criteo/avazu: the Kaggle file; movielens: the ml-100k folder")
    where.add_argument("--rows", type=int, default=None, help="synthetic: number of rows")
    where.add_argument("--data-seed", type=int, default=None, help="synthetic: generator seed")
    where.add_argument("--data-option", action="append", metavar="KEY=VALUE",
                       help="data-set option, e.g. --data-option label=click for a table "
                            "(repeatable; lists in YAML: categorical=[a,b])")
    where.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:1, mps")
    where.add_argument("--precision", choices=PRECISIONS, default=None,
                       help="forward pass in float32 (default, the paper's), bfloat16 autocast, "
                            "or auto: bf16 where a probe shows it faster on this device")
    where.add_argument("--amp", action="store_true", help="same as --precision bf16")
    where.add_argument("--threads", type=int, default=None,
                       help="torch CPU threads (default $ME_CORE_TORCH_THREADS or 1)")
    where.add_argument("--cache-dir", type=Path, default=None, help="data cache folder")
    where.add_argument("--records", type=Path, default=Path("runs/records.jsonl"),
                       help="JSON-lines file the run records are appended to (default: "
                            "runs/records.jsonl)")
    where.add_argument("--run-root", type=Path, default=Path("runs"),
                       help="checkpoints go to RUN_ROOT/<run key>/ (default: runs)")
    where.add_argument("--quiet", action="store_true", help="no progress bars")
