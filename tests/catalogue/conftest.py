import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The catalogue caches its public rows: each test starts from an empty cache (a rolled-back
    test leaves rows cached under the generation it ended with)."""
    cache.clear()
    yield
    cache.clear()
