import sys

from .common.lean_imports import lean_start

lean_start()        # before the command line's own imports

from .cli import main  # noqa: E402

sys.exit(main())
