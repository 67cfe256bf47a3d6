"""Which test files a change can affect (`pitstop affected`).

The pieces, each behind a small interface so tests can pass fakes:

- `scan`: the imports and string literals of every file, found fast without parsing;
- `imports`: the same and more from `ast` (never run), for the files the selection asks about;
- `importtime`: what a file does when it is imported (its import-time skeleton, whether it is
  a pure re-export module, whether it is passive), the facts behind the precise selection;
- `tree` and `layout`: the repository's Python files and the module names they answer to;
- `graph`: the dependency graph of every Python file, conftest scoping included;
- `git`: the change (`--base REF`) from git, with the safe fallbacks;
- `cache`: parsed facts keyed by file content, so a warm run reparses only what changed;
- `settings`: `[tool.pitstop.affected]` and the pytest settings that decide what is a test;
- `selector`: the selection itself, and `explain`: the chain from a changed file to a test;
- `engine`: one run wired to the disk and git; `mutate` and `audit`: safety measured by
  mutation (`pitstop affected audit`).
"""
