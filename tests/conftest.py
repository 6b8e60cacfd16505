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


@pytest.fixture
def awake_image(tmp_path):
    """A real image (FileStorage and blobs in a temp dir), awakened: every migration has run."""
    from bat_os.image.image import Image

    image = Image(tmp_path / "image" / "live.fs")
    image.awaken()
    try:
        yield image
    finally:
        image.close()
