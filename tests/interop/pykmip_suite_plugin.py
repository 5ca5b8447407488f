"""A pytest plugin that points PyKMIP 0.11.0's own integration suite at kmipd.

The suite (`kmip/tests/integration` in PyKMIP's source distribution) takes its client settings
from a pykmip.conf section and always speaks KMIP 1.2. This plugin makes every client it opens
speak the version in `KMIPD_SUITE_VERSION` instead, so one suite checks 1.0, 1.2, 1.4 and 2.0.
Loaded with `pytest -p pykmip_suite_plugin`, from crates/kmipd/tests/e2e/pykmip_suite.rs.
"""
import os

from checks import pykmip_versions
from kmip.services import kmip_client

VERSIONS = pykmip_versions()

_original_init = kmip_client.KMIPProxy.__init__


def _init_at_version(self, *args, **kwargs):
    kwargs["kmip_version"] = VERSIONS[os.environ.get("KMIPD_SUITE_VERSION", "1.2")]
    _original_init(self, *args, **kwargs)


kmip_client.KMIPProxy.__init__ = _init_at_version
