"""Helpers shared by the delta-rs interop scripts: run a Lamina TypeScript script, check a condition."""
import json
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def tsx(script, *args):
    """Runs shared/test/interop/<script> with tsx and returns the JSON of its last output line."""
    out = subprocess.run(["npx", "tsx", f"shared/test/interop/{script}", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])
