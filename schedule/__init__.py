"""Schedule: rooms, sessions, papers, poster boards, personal schedules (features arrive with their issues)."""
