"""Shared test set-up."""
import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    """One torch thread for the whole suite: the tests use tiny tensors, where thread start-up
    costs more than it saves, and CI's 2-core machine is shared by the test process and the
    data-loader / tracker worker processes some tests start."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
