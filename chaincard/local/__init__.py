"""Running a whole chain on one machine: embedded PostgreSQL, the local broker, the supervisor."""
