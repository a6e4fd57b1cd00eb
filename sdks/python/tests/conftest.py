import os

import pytest

PLATFORM_ENV = ["SUMERU_BASE_URL", "ATLANTIS_API_KEY", "SUMERU_READONLY_API_KEY", "SUMERU_TINY_API_KEY"]


@pytest.fixture
def platform():
    missing = [n for n in PLATFORM_ENV if not os.environ.get(n)]
    if missing:
        pytest.skip(f"needs a platform ({', '.join(missing)}): run through sdks/e2e/platform.sh")
    return os.environ
