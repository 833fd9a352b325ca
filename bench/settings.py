"""Production settings plus the benchmark's reference endpoints (bench/urls.py).

Only `make bench` uses this module; production URLs and apps are unchanged.
"""

from approval_site.settings.base import *  # noqa: F403
from approval_site.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
