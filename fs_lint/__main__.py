"""``python -m fs_lint``: the same as the ``fs-lint`` command."""

from .cli.main import main

# The guard matters: worker processes started with "spawn" import this module as __mp_main__.
if __name__ == "__main__":
    raise SystemExit(main())
