"""`python -m adc`: the `adc` command line (see adc/cli)."""
import sys

from .cli import main

sys.exit(main())
