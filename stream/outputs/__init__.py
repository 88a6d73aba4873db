"""The two sides of Redis: the publisher the worker writes through, the live feed and ``watch``
that graphics clients read with."""
