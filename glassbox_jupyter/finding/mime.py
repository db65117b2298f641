"""The MIME types GlassBox writes into notebook outputs, so an exported notebook is evidence.

Example:
    >>> FINDING_MIME
    'application/vnd.glassbox.finding+json'
"""

from __future__ import annotations

# every displayed Finding carries its JSON under this type (a list of them for multi-output results)
FINDING_MIME = "application/vnd.glassbox.finding+json"
# a displayed AnnexIVReport carries its JSON under this type
REPORT_MIME = "application/vnd.glassbox.annex-iv+json"
