#!/usr/bin/env python3
"""An OpenAI-compatible https server on 127.0.0.1 with a certificate signed by a CA made here (the
Python suite's fake, clients/python/tests/fake_openai.py): answers a chat turn with its words
reversed. Writes FOLDER/ca.pem, then FOLDER/https.port once it listens; serves until killed.

    https_upstream.py FOLDER
"""
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients/python/tests"))
from fake_openai import FakeOpenAI, make_certificates  # noqa: E402

folder = pathlib.Path(sys.argv[1])
_, certificate, key = make_certificates(folder)
server = FakeOpenAI(certificate, key)
(folder / "https.port.tmp").write_text(f"{server.port}\n")
(folder / "https.port.tmp").rename(folder / "https.port")
while True:
    time.sleep(3600)
