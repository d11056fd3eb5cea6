"""Suite-wide fixtures."""
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """Run the suite with one BLAS thread.

    The tests train small networks: their matrix products gain nothing from threads, and on a
    busy 2-core machine OpenBLAS's spinning threads made them 5-30x slower (measured while
    several test runs shared the machine). Results do not depend on it beyond float rounding.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield
