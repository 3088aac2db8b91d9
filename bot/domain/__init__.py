"""Domain rules, pure (no I/O, no LINE, no SQL): triage, red-flag state, POEM scoring, the
reminder schedule's time arithmetic, the clinic directory's parsing and distances."""
