"""`python -m bot COMMAND …` — commands are a table; features add their entries.

Each entry: words -> (add_arguments spec or None, run spec); specs are
'module:function' strings imported only when that command runs."""

import argparse
import sys

CLI = {
    ("serve",): ("bot.serve:add_arguments", "bot.serve:run"),
    ("reminders", "run-due"): ("bot.reminders:add_cli_arguments", "bot.reminders:cli_run_due"),
    ("richmenu", "install"): (None, "bot.richmenu:cli_install"),
}


def main(argv=None) -> int:
    from bot.config import MissingCredential, SimulatorNotLocal
    from bot.services import load

    argv = sys.argv[1:] if argv is None else argv
    for words, (add_arguments, run) in sorted(CLI.items(), key=lambda item: -len(item[0])):
        if tuple(argv[: len(words)]) == words:
            parser = argparse.ArgumentParser(prog="python -m bot " + " ".join(words))
            if add_arguments:
                load(add_arguments)(parser)
            args = parser.parse_args(argv[len(words):])
            try:
                return load(run)(args) or 0
            except (MissingCredential, SimulatorNotLocal) as error:  # a set-up mistake, not a bug
                print(f"error: {error}", file=sys.stderr)
                return 2
    print("usage: python -m bot {" + " | ".join(" ".join(w) for w in CLI) + "} …", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
