"""The analysts' side: dataset readers, pipeline steps, reports and the training CLI."""
