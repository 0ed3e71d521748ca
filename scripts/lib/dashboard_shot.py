#!/usr/bin/env python3
"""A screenshot of the dashboard as it is live: opens URL (e.g. http://127.0.0.1:7480/dashboard, with
#key=... when the gateway needs one) in headless Chromium after --after seconds, waits until the page
has drawn live data twice, and saves OUT (PNG, or JPEG for a .jpg name). Used by scripts/demo.sh (SWITCHYARD_DASHBOARD_SHOT)."""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from dashboard_check import open_dashboard, screenshot, start_chromium  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("out")
parser.add_argument("--after", type=float, default=0)
args = parser.parse_args()
time.sleep(args.after)
chromium, page = start_chromium(tempfile.mkdtemp(prefix="switchyard-chromium-"))
try:
    open_dashboard(page, args.url)
    for _ in range(60):
        time.sleep(0.5)
        if (page.evaluate("Number(document.body.dataset.updates || 0)") or 0) >= 3:
            break
    screenshot(page, args.out)
    print(f"dashboard screenshot: {args.out}", file=sys.stderr)
finally:
    chromium.terminate()
