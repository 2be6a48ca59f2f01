#!/usr/bin/env python3
"""Build the reports under content/ into PDF, DOCX (and HTML) documents. See README.md for the options."""
from __future__ import annotations

import sys

from reportgen.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
