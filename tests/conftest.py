import signal

import pytest

from support import KernelProcess

# A shell that starts the suite in the background ("./run.sh test &" in a non-interactive shell)
# hands it SIGINT ignored, and every process the tests spawn would inherit that: a console
# under pexpect would then never see Ctrl+C. Python's own handler here is reset to the default
# in each child at exec, so the suite behaves the same however it was started.
signal.signal(signal.SIGINT, signal.default_int_handler)


# The longest file first: with two workers (./run.sh test), the real models run beside the rest of the
# suite instead of alone at its end.
FIRST = ("test_real_models.py",)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in FIRST)  # stable: the order within each part is kept


@pytest.fixture(autouse=True)
def _no_kernel_outlives_its_test():
    """A test that failed half-way must not leave its kernel running into the next test's warnings.

    Only kernels started during the test: module fixtures are set up before this one (higher scope first).
    """
    mark = len(KernelProcess.started)
    yield
    while len(KernelProcess.started) > mark:
        KernelProcess.started.pop().stop()


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
