import os

import pytest


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOSTS = os.path.join(ROOT, "fixtures", "hosts")
CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "libvirt-9.0.0", "cputestdata")




@pytest.fixture
def corpus():
    if not os.path.isdir(CORPUS):
        pytest.skip("libvirt 9.0.0 cputestdata not present at ../shared/corpus")
    return CORPUS
