"""``python -m selectel_objects.cli``."""

import sys

from selectel_objects.cli._app import main

sys.exit(main())
