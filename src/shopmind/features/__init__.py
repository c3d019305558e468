"""Pure, tested transforms shared by capabilities (tables in, tables out)."""
