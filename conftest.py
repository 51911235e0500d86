"""Repository-level pytest configuration: hypothesis profiles for CI and soak runs."""

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is part of the test extra
    pass
else:
    settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("soak", max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
    settings.load_profile(os.environ.get("MOCK_ECR_HYPOTHESIS_PROFILE", "ci"))
