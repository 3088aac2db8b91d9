"""python -m models {phantom,train,export,calibrate,evaluate,validate,split,dataset,overlays,install,rollback,versions,monitor} [options]"""
from __future__ import annotations

import importlib
import sys

# Each command is a module with main(argv) -> exit code; imported only when chosen, so that
# `evaluate` never pulls in torch.
COMMANDS = {
    "phantom": "models.phantom.cli",
    "train": "models.train",
    "export": "models.export",
    "calibrate": "models.familiarity",
    "evaluate": "models.evaluate_cli",
    "validate": "models.validate_cli",
    "split": "models.split_cli",
    "dataset": "models.dataset",
    "overlays": "models.real_overlays",
    "install": "models.versions:install_main",  # model sets as versions (models/versions.py)
    "rollback": "models.versions:rollback_main",
    "versions": "models.versions:versions_main",
    "monitor": "models.monitor",
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m models {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    name, _, function = COMMANDS[argv[0]].partition(":")
    return getattr(importlib.import_module(name), function or "main")(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
