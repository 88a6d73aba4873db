"""The Faust worker: the app and its tables, the pump that takes input in batches (ledger, gap fill,
dead letters), per-match checkpoints, lag, metrics, drift, topics and the runner."""
