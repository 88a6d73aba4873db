"""Pure, vectorised numpy feature functions: arrays in, arrays out; no I/O, clock or globals."""
