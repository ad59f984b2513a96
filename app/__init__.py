"""Staff victimisation monitor: anonymous periodic surveys for staff with a public task."""
