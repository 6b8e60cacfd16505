import pytest

from support import KernelProcess


@pytest.fixture
def kernel(tmp_path):
    """A running kernel subprocess with a fresh image on a free port."""
    process = KernelProcess(tmp_path).start()
    try:
        yield process
    finally:
        process.stop()
