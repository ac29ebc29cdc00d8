"""The pure parsers: tables of real lines, hostile input, exact times."""
