#!/usr/bin/env python3
"""A screenshot of the dashboard as it is live: opens URL (e.g. http://127.0.0.1:7480/dashboard, with
#key=... when the gateway needs one) in headless Chromium after --after seconds, waits until the page
has drawn live data twice, and saves OUT (PNG, or JPEG for a .jpg name). Used by scripts/demo.sh (SWITCHYARD_DASHBOARD_SHOT)."""
import argparse
import base64
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from dashboard_check import start_chromium  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("out")
parser.add_argument("--after", type=float, default=0)
args = parser.parse_args()
time.sleep(args.after)
chromium, page = start_chromium(tempfile.mkdtemp(prefix="switchyard-chromium-"))
try:
    page.call("Runtime.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=1440, height=1900, deviceScaleFactor=1, mobile=False)
    page.call("Page.navigate", url=args.url)
    for _ in range(60):
        time.sleep(0.5)
        if (page.evaluate("Number(document.body.dataset.updates || 0)") or 0) >= 3:
            break
    # A .jpg name is saved as JPEG (a fifth of the PNG's size, for the README).
    shot = {"format": "jpeg", "quality": 85} if args.out.lower().endswith((".jpg", ".jpeg")) else {"format": "png"}
    image = base64.b64decode(page.call("Page.captureScreenshot", captureBeyondViewport=True, **shot)["data"])
    with open(args.out, "wb") as f:
        f.write(image)
    print(f"dashboard screenshot: {args.out}", file=sys.stderr)
finally:
    chromium.terminate()
