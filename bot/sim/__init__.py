"""Simulator mode: the LINE emulator (also `python -m bot.sim.emulator` on its own) and the
/simulator chat page that talks to it."""
