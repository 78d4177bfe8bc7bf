"""A small job queue on the platform's own PostgreSQL (see docs/architecture.md, "Jobs").

Jobs are rows; workers claim them with ``SELECT ... FOR UPDATE SKIP LOCKED`` and are woken
by ``NOTIFY``. Any number of workers on any number of machines may run side by side.
"""
