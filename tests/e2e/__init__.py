"""End-to-end proof: real FastStream services on real brokers stop on SIGTERM only after `fs-lint fix`.

See docs/shutdown-e2e.md. The helpers here are shared with benchmarks/shutdown_e2e.py.
"""
