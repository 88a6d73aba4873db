"""What happens to a match's frames and events, without I/O: processing into outputs, live
features, frame history, shot and pitch context, and the models serving them."""
