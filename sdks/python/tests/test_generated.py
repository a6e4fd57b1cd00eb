"""The checked-in generated code is what the generators produce from the current sources."""
import subprocess
import sys
from pathlib import Path

here = Path(__file__).resolve().parent.parent


def test_models_match_the_openapi_document():
    r = subprocess.run([sys.executable, str(here / "scripts/gen_models.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_sync_client_is_generated_from_the_async_one():
    r = subprocess.run([sys.executable, str(here / "scripts/unasync.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
