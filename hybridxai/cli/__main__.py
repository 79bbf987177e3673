"""``python -m hybridxai.cli``: the ``hybridxai`` command."""

import sys

from hybridxai.cli.app import main

sys.exit(main())
