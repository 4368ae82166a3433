"""The program model and the library model: what the code a statement calls does.

A rule that reads one module at a time stops at the module's edge: a stop path in a subclass or
another module, a pause in a callee, a library call that waits for its broker to come back. These
two models carry that knowledge beneath every rule:

- the **program model** (``layout``, ``summaries``, ``facts_cache``, ``program``): one pass over
  each module of the project collects its facts (classes and their bases, functions with what they
  call, await, catch and loop on, attribute types, imports, thread and task starts); the
  ``Program`` answers questions about the whole project from them, each answer with the line that
  proves it;
- the **library model** (``library``): a table, as data, of what each library API waits for (a
  broker, a reconnect, a thread, nothing), how it takes a bound and what it returns.

This package reads code through ``fs_lint.syntax`` only: it never imports the analysis, a rule or
a front end (``tests/test_layers.py``).
"""
