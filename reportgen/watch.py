"""--watch: rebuild what an edit touches (the up-to-date test does the narrowing), until interrupted."""
from __future__ import annotations

import sys

from .plan import CODE, TEMPLATES


def watch(args, build) -> int:
    from watchfiles import watch as file_events

    print(f"watching {args.content} and {TEMPLATES} (Ctrl-C to stop)", flush=True)
    build(args)
    try:
        for changes in file_events(args.content, TEMPLATES, CODE, debounce=300, raise_interrupt=False,
                                   watch_filter=lambda change, path: not path.endswith((".tmp", "~"))):
            edited = sorted({path for _, path in changes})
            print(f"changed: {', '.join(edited)}", flush=True)
            build(args)
    except KeyboardInterrupt:
        pass
    print("stopped watching", file=sys.stderr)
    return 0
