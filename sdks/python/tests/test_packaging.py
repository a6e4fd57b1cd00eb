"""`python -m build` makes an sdist and a typed wheel with the package's metadata."""
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

here = Path(__file__).resolve().parent.parent


def test_build_sdist_and_wheel(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(here)],
        check=True, capture_output=True, text=True,
    )
    wheel = next(tmp_path.glob("sumeru_es-*.whl"))
    sdist = next(tmp_path.glob("sumeru_es-*.tar.gz"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "sumeru_es/py.typed" in names
        assert "sumeru_es/_generated/models.py" in names and "sumeru_es/_sync/client.py" in names
        meta = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Name: sumeru-es" in meta
    assert "License-Expression: Apache-2.0" in meta
    assert "Requires-Python: >=3.9" in meta
    assert "Requires-Dist: httpx" in meta
    assert "Project-URL: Repository," in meta
    assert "Classifier: Typing :: Typed" in meta
    with tarfile.open(sdist) as t:
        assert any(n.endswith("src/sumeru_es/py.typed") for n in t.getnames())
