"""`pitstop init`: look at a repository, then write pitstop's configuration (and, on request,
a GitHub Actions workflow) fitted to what was found.

`detect` reads (regular files only, bounded, nothing of the repository is run), `render`
turns what was found into file text, `plan` decides what is written where, shows it as a
diff and writes it all or none.
"""
