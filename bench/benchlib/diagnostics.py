"""Error kinds, logging to stderr (stdout is kept for the final table) and whole-run warnings."""

import sys


class Fatal(Exception):
    """Cannot run at all (exit status 2)."""


class RunError(Exception):
    """One server x cell x repeat failed; recorded, the matrix goes on."""


def log(text):
    print(text, file=sys.stderr, flush=True)


WARNINGS = []  # about the whole run; shown at the top of the Markdown


def warn(text):
    if text not in WARNINGS:
        WARNINGS.append(text)
        log(f"warning: {text}")


def tail(text, lines=6, chars=600):
    text = (text or "").strip()
    if not text:
        return "(empty)"
    text = " | ".join(text.splitlines()[-lines:])
    return text[-chars:]
