"""Pure parsers: text in, typed model out, with line numbers; no rule logic here."""
