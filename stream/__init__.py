"""Everything that touches Kafka or Redis: the Faust app, contracts, agents, publisher, replay, load
generation, the local stack and the ``pitchside`` command line."""
