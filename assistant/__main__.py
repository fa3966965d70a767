"""``python -m assistant`` is the ``qmm`` command."""

from assistant.cli import main

raise SystemExit(main())
