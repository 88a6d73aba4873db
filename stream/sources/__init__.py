"""Where frames and events come from: real StatsBomb matches replayed with simulated tracking,
synthetic load, Baseball Savant pitches, and the Kafka producer and pacing they share."""
