import pytest


@pytest.fixture(autouse=True)
def _own_media_root(request, settings, tmp_path):
    """Each test stores uploaded files in a folder of its own, so "the file was deleted" is checked on it alone;
    except with a real worker, which reads the test settings' folder."""
    if request.node.get_closest_marker("redis") is None:
        settings.MEDIA_ROOT = tmp_path / "media"
