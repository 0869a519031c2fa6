import pytest
from bundles import make_antctl_dir


@pytest.fixture
def antctl_dir(tmp_path):
    """support-bundles_<ts>/ with clusterinfo, controller, a healthy node1 and node2 failing."""
    return make_antctl_dir(tmp_path)
