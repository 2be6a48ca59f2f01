"""--watch: rebuild what an edit touches (the up-to-date test does the narrowing), until interrupted."""
from __future__ import annotations

import sys

from .plan import CODE, TEMPLATES


def watch(args, build) -> int:
    from watchfiles import watch as file_events

    sys.stdout.reconfigure(line_buffering=True)   # each rebuild's lines appear at once, even through a pipe
    print(f"watching {args.content} and {TEMPLATES} (Ctrl-C to stop)")
    started = False
    try:
        # yield_on_timeout: the first (empty) yield comes once the watcher runs, so the first build happens
        # with the watcher already listening and no edit made during it is missed.
        for changes in file_events(args.content, TEMPLATES, CODE, debounce=300, rust_timeout=500,
                                   yield_on_timeout=True, raise_interrupt=False,
                                   watch_filter=lambda change, path: not path.endswith((".tmp", "~", ".pyc"))
                                   and "__pycache__" not in path):
            if not changes:
                if not started:
                    started = True
                    build(args)
                continue
            print(f"changed: {', '.join(sorted({path for _, path in changes}))}")
            build(args)
    except KeyboardInterrupt:
        pass
    print("stopped watching", file=sys.stderr)
    return 0
