"""``fs-lint probe``: run a service, take its broker away, stop it, and name where it hangs.

The parts, each in its own module: ``options`` (what a probe is asked to do),
``tcp_proxy`` (the broker that can be cut),
``service`` (the command in its own process group, its output passed through),
``process_tree`` (which processes belong to it, and killing them all),
``bootstrap/`` (loaded into every Python the service starts: dumps its stacks on a
reserved signal), ``stacks`` (asking for those dumps, with faulthandler's and py-spy's
as fallbacks), ``annotate`` (fs-lint's word on a stuck line), ``report`` (text and
JSON) and ``session`` (the sequence itself). ``pytest_plugin`` runs it from a test.

Nothing here is imported by ``fs-lint check`` or ``fix``: the CLI imports it only for
``fs-lint probe``.
"""
